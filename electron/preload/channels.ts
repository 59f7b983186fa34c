/**
 * The IPC wire names, shared by the preload (which sends on them) and the main process (which
 * listens on them). Kept free of zod and of 'electron', so the sandboxed preload bundle stays tiny
 * and tests can import it under plain Node.
 */
import type { Channel } from '../../shared/contract.ts';

/** Every channel of the contract. `Record<Channel, true>` makes a missing or an extra name a compile error. */
const CONTRACT_CHANNELS: Record<Channel, true> = {
  'app.info': true,
  'sites.list': true,
  'sites.add': true,
  'sites.edit': true,
  'sites.remove': true,
  'sites.test': true,
  'sites.runNow': true,
  'status.get': true,
  'status.eventsPerHour': true,
  'sessions.list': true,
  'sessions.get': true,
  'destination.get': true,
  'destination.set': true,
  'destination.test': true,
  'destination.installAssets': true,
  'outbox.retryFailed': true,
  'backup.now': true,
  'engine.setPaused': true,
  'log.recent': true,
};

export const CHANNELS: readonly Channel[] = Object.freeze(Object.keys(CONTRACT_CHANNELS) as Channel[]);

export function isKnownChannel(name: unknown): name is Channel {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(CONTRACT_CHANNELS, name);
}

/** The `ipcMain.handle` name of a contract channel. */
export function ipcInvokeChannel(channel: Channel): string {
  return `pra-ic:invoke:${channel}`;
}

/** Engine and test-step events, main → renderer (`webContents.send`). */
export const IPC_EVENT_CHANNEL = 'pra-ic:event';
