import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { redactSecrets } from './redact.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogEntry {
  time: string;
  level: LogLevel;
  /** What the line is about, e.g. `extract`, `ship`, `site`. */
  topic: string;
  message: string;
  siteId?: number;
  [key: string]: unknown;
}

/**
 * A rotating JSON-lines log in `<data dir>/logs/pra-ic.log` (5 files of 5 MB by default).
 *
 * Secrets are kept out by construction (no code passes one), and a second line of defence masks any
 * string registered with `redact()` — every secret read from the keychain is registered — before a
 * line is written or handed to listeners (the UI's activity view).
 */
export class Logger {
  private readonly file: string | null;
  private size = 0;
  /** Why the file could not be written last time (a full disk, a removed folder); null while it can. */
  private fileFailure: string | null = null;
  private readonly secrets = new Set<string>();
  private readonly listeners = new Set<(entry: LogEntry) => void>();

  constructor(
    logDir: string | null,
    private readonly options: { maxBytes?: number; maxFiles?: number; echo?: (entry: LogEntry) => void } = {},
  ) {
    if (logDir) {
      mkdirSync(logDir, { recursive: true, mode: 0o700 });
      this.file = join(logDir, 'pra-ic.log');
      try {
        this.size = statSync(this.file).size;
      } catch {
        this.size = 0;
      }
    } else this.file = null;
  }

  /**
   * Masks `secret` in every later line: as it is and as JSON escapes it (a line is JSON). A short
   * secret is masked only as a whole token (redact.ts), never inside other words.
   */
  redact(secret: string | null | undefined) {
    if (!secret) return;
    this.secrets.add(secret);
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) this.secrets.add(escaped);
  }

  onEntry(listener: (entry: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  debug(topic: string, message: string, fields?: Record<string, unknown>) {
    this.write('debug', topic, message, fields);
  }
  info(topic: string, message: string, fields?: Record<string, unknown>) {
    this.write('info', topic, message, fields);
  }
  warn(topic: string, message: string, fields?: Record<string, unknown>) {
    this.write('warn', topic, message, fields);
  }
  error(topic: string, message: string, fields?: Record<string, unknown>) {
    this.write('error', topic, message, fields);
  }

  private write(level: LogLevel, topic: string, message: string, fields?: Record<string, unknown>) {
    let line = JSON.stringify({ time: new Date().toISOString(), level, topic, message, ...fields });
    line = redactSecrets(line, this.secrets, '[redacted]');
    const entry = JSON.parse(line) as LogEntry;
    if (this.file) this.append(line);
    this.emit(entry);
  }

  /**
   * Writes a line to the file. A full disk or a removed folder must not fail the work being logged
   * (a run that failed because the disk is full logs that it failed): the entry still reaches the
   * listeners and the echo, the failure is said once, and the file is tried again with each entry.
   */
  private append(line: string) {
    const file = this.file!;
    try {
      const bytes = Buffer.byteLength(line) + 1;
      if (this.size + bytes > (this.options.maxBytes ?? 5 * 1024 * 1024)) this.rotate();
      appendFileSync(file, `${line}\n`, { mode: 0o600 });
      this.size += bytes;
      this.fileFailure = null;
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      if (this.fileFailure === reason) return;
      this.fileFailure = reason;
      const message = `The log file ${file} cannot be written (${reason === 'ENOSPC' ? 'the disk is full' : reason}): entries are shown in the app but not kept, until it can be written again.`;
      this.emit({ time: new Date().toISOString(), level: 'warn', topic: 'log', message });
    }
  }

  private emit(entry: LogEntry) {
    this.options.echo?.(entry);
    for (const listener of this.listeners) listener(entry);
  }

  private rotate() {
    const file = this.file!;
    const maxFiles = this.options.maxFiles ?? 5;
    rmSync(`${file}.${maxFiles - 1}`, { force: true });
    for (let i = maxFiles - 2; i >= 1; i--) {
      try {
        renameSync(`${file}.${i}`, `${file}.${i + 1}`);
      } catch {
        // that generation does not exist yet
      }
    }
    try {
      renameSync(file, `${file}.1`);
    } catch {
      // nothing to rotate
    }
    this.size = 0;
  }
}
