/** The tray icon: Open, Run now, Pause/Resume, Start at login, Quit; icon and tooltip follow the engine's state. */
import { Menu, Tray, nativeImage, type NativeImage } from 'electron';
import trayAttentionIco from '../../build/tray/tray-attention.ico?asset';
import trayAttentionPng from '../../build/tray/tray-attention.png?asset';
import trayPausedIco from '../../build/tray/tray-paused.ico?asset';
import trayPausedPng from '../../build/tray/tray-paused.png?asset';
import trayIco from '../../build/tray/tray.ico?asset';
import trayPng from '../../build/tray/tray.png?asset';
import { trayIconVariant, trayMenuTemplate, trayTooltip, type TrayActions, type TrayIconVariant, type TrayState } from './tray-menu.ts';

/** Windows wants .ico (it picks the size for the screen's scale); elsewhere a 32 px PNG, shown at 16. */
const ICONS: Record<TrayIconVariant, string> =
  process.platform === 'win32'
    ? { tray: trayIco, 'tray-paused': trayPausedIco, 'tray-attention': trayAttentionIco }
    : { tray: trayPng, 'tray-paused': trayPausedPng, 'tray-attention': trayAttentionPng };

function image(variant: TrayIconVariant): NativeImage {
  const img = nativeImage.createFromPath(ICONS[variant]);
  return process.platform === 'win32' ? img : img.resize({ width: 16, height: 16 });
}

export class TrayController {
  private readonly tray: Tray;
  private shown = '';

  constructor(
    private readonly getState: () => TrayState,
    private readonly actions: TrayActions,
  ) {
    this.tray = new Tray(image('tray'));
    this.tray.on('click', () => actions.open());
    this.tray.on('double-click', () => actions.open());
    this.refresh();
  }

  /** Rebuilds menu, tooltip and icon when the state they show changed. */
  refresh(): void {
    if (this.tray.isDestroyed()) return;
    const state = this.getState();
    const key = JSON.stringify(state);
    if (key === this.shown) return;
    this.shown = key;
    this.tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(state, this.actions)));
    this.tray.setToolTip(trayTooltip(state));
    this.tray.setImage(image(trayIconVariant(state)));
  }

  /** A one-time hint (Windows shows it as a notification). */
  hint(title: string, content: string): void {
    if (process.platform === 'win32' && !this.tray.isDestroyed()) this.tray.displayBalloon({ title, content, iconType: 'info' });
  }

  destroy(): void {
    if (!this.tray.isDestroyed()) this.tray.destroy();
  }
}
