/** What the tray shows: its menu, tooltip and icon for a given state. Pure (the template is plain data). */

export interface TrayState {
  paused: boolean;
  /** Sites configured, enabled or not. */
  sites: number;
  /** Names of the sites that need attention. */
  attention: readonly string[];
  /** null where start at login is not offered (Linux, or a development run). */
  openAtLogin: boolean | null;
}

export interface TrayActions {
  open(): void;
  runNow(): void;
  setPaused(paused: boolean): void;
  setOpenAtLogin(openAtLogin: boolean): void;
  quit(): void;
}

/** A subset of Electron's MenuItemConstructorOptions. */
export interface TrayMenuItem {
  id?: string;
  label?: string;
  type?: 'normal' | 'separator' | 'checkbox';
  checked?: boolean;
  enabled?: boolean;
  click?: () => void;
}

export const PRODUCT_NAME = 'PRA Integration Client';

export type TrayIconVariant = 'tray' | 'tray-paused' | 'tray-attention';

export function trayMenuTemplate(state: TrayState, actions: TrayActions): TrayMenuItem[] {
  const items: TrayMenuItem[] = [
    { id: 'open', label: `Open ${PRODUCT_NAME}`, click: actions.open },
    { type: 'separator' },
    { id: 'run-now', label: 'Run now', enabled: state.sites > 0, click: actions.runNow },
    state.paused
      ? { id: 'resume', label: 'Resume extraction', click: () => actions.setPaused(false) }
      : { id: 'pause', label: 'Pause extraction', click: () => actions.setPaused(true) },
  ];
  if (state.openAtLogin !== null) {
    const checked = state.openAtLogin;
    items.push({ type: 'separator' }, { id: 'open-at-login', label: 'Start at login', type: 'checkbox', checked, click: () => actions.setOpenAtLogin(!checked) });
  }
  items.push({ type: 'separator' }, { id: 'quit', label: 'Quit', click: actions.quit });
  return items;
}

/** Windows cuts tray tooltips at 127 characters. */
export function trayTooltip(state: TrayState): string {
  const parts = [PRODUCT_NAME];
  if (state.paused) parts.push('paused');
  if (state.attention.length === 1) parts.push(`“${state.attention[0]}” needs attention`);
  else if (state.attention.length > 1) parts.push(`${state.attention.length} sites need attention`);
  const text = parts.join(' — ');
  return text.length > 127 ? `${text.slice(0, 126)}…` : text;
}

export function trayIconVariant(state: TrayState): TrayIconVariant {
  if (state.attention.length > 0) return 'tray-attention';
  return state.paused ? 'tray-paused' : 'tray';
}
