/**
 * Checklist item 17, "validate the sender of all IPC messages": a call is served only when it comes
 * from the app's own main window and from a top-level frame showing the app bundle (app://bundle/).
 * A frame of another origin (an https page, a file, an iframe) or another webContents is refused,
 * whatever it sends. Pure, so tests give it stub events.
 */
import { APP_HOST, APP_SCHEME } from './protocol.ts';

/** The parts of Electron's IpcMainInvokeEvent the check reads. */
export interface IpcInvokeEventLike {
  sender: unknown;
  /** null once the frame navigated away or was destroyed. */
  senderFrame: { url: string; parent?: unknown } | null;
}

/** Whether `url` is a page of the app bundle (`app://bundle/…`). */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}

/** The same webContents: the same object, or the same (never reused) webContents id. */
function sameWebContents(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const idOf = (x: unknown) => (typeof x === 'object' && x !== null && typeof (x as { id?: unknown }).id === 'number' ? (x as { id: number }).id : null);
  const ida = idOf(a);
  return ida !== null && ida === idOf(b);
}

/** `getMainWebContents` returns the main window's webContents, or null while there is none. */
export function createTrustedSenderCheck(getMainWebContents: () => unknown): (event: IpcInvokeEventLike) => boolean {
  return (event) => {
    const main = getMainWebContents();
    if (main === null || main === undefined || !sameWebContents(event.sender, main)) return false;
    const frame = event.senderFrame;
    if (!frame) return false;
    // Only the top-level frame: the app has no iframes, and none may speak for it.
    if (frame.parent !== undefined && frame.parent !== null) return false;
    return isAppUrl(frame.url);
  };
}
