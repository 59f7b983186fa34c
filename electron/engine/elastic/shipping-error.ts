import type Database from 'better-sqlite3';
import { deleteSetting, readSetting, writeSetting } from '../store/settings-table.ts';

/** The last reason shipping stopped, and since when: what `status` shows beside the pending count. */
export interface ShippingError {
  message: string;
  /** ISO time of the first failure with this message. */
  since: string;
  /** ISO time of the latest failure. */
  at: string;
}

const KEY = 'elastic.shipping_error';

/**
 * Keeps the last shipping error in the store's `settings` (durable: a `status` after a failed
 * `run --once` shows why events are still pending) until a delivery succeeds. The message is one of
 * describeElasticError's sentences, which never carry a credential.
 */
export class ShippingErrorStore {
  private current: ShippingError | null;
  private writtenAt = 0;

  constructor(private readonly db: Database.Database) {
    this.current = parse(readSetting(db, KEY));
  }

  get(): ShippingError | null {
    return this.current;
  }

  /** A failure: written to disk when its message changes, else at most once a minute while it lasts. */
  set(message: string, now = new Date()) {
    const previous = this.current;
    const at = now.toISOString();
    this.current = { message, since: previous?.message === message ? previous.since : at, at };
    if (previous?.message === message && now.getTime() - this.writtenAt < 60_000) return;
    this.writtenAt = now.getTime();
    persist(() => writeSetting(this.db, KEY, JSON.stringify(this.current)));
  }

  /** A delivery succeeded. */
  clear() {
    if (this.current === null) return;
    this.current = null;
    persist(() => deleteSetting(this.db, KEY));
  }
}

/**
 * Keeping the error on disk is a convenience (status after the process ended): when the disk is
 * full (often the very error being kept) or the database busy, this process still knows it.
 */
function persist(write: () => void) {
  try {
    write();
  } catch {
    // kept in memory (ShippingErrorStore.current)
  }
}

function parse(value: string | null): ShippingError | null {
  if (!value) return null;
  try {
    const v = JSON.parse(value) as Partial<ShippingError>;
    return typeof v.message === 'string' && typeof v.at === 'string' ? { message: v.message, since: v.since ?? v.at, at: v.at } : null;
  } catch {
    return null;
  }
}
