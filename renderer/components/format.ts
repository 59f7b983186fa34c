/** How times, counts and durations are written across the UI (the user's locale, local time). */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const shortDateTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const numbers = new Intl.NumberFormat();
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

function parse(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Full local date and time, e.g. "24 Nov 2025, 14:03:12"; `fallback` when there is none. */
export function formatDateTime(iso: string | null | undefined, fallback = '—'): string {
  const date = parse(iso);
  return date ? dateTime.format(date) : fallback;
}

/** Compact local date and time for tables, e.g. "24 Nov, 14:03". */
export function formatShortDateTime(iso: string | null | undefined, fallback = '—'): string {
  const date = parse(iso);
  return date ? shortDateTime.format(date) : fallback;
}

export function formatTimeOfDay(iso: string | null | undefined, fallback = '—'): string {
  const date = parse(iso);
  return date ? timeOnly.format(date) : fallback;
}

/** "3 minutes ago", "in 5 minutes", "yesterday"; `fallback` when there is none. */
export function formatRelative(iso: string | null | undefined, now: number, fallback = 'Never'): string {
  const date = parse(iso);
  if (!date) return fallback;
  const seconds = Math.round((date.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return seconds <= 0 ? 'just now' : 'in a few seconds';
  if (abs < 45 * 60) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 22 * 3600) return relative.format(Math.round(seconds / 3600), 'hour');
  if (abs < 26 * 86400) return relative.format(Math.round(seconds / 86400), 'day');
  return shortDateTime.format(date);
}

/** When the next run is: "in 3 minutes", or "Due now" once its time has come. */
export function formatNextRun(iso: string | null | undefined, now: number): string {
  const date = parse(iso);
  if (!date) return '—';
  return date.getTime() <= now ? 'Due now' : formatRelative(iso, now);
}

export function formatCount(value: number): string {
  return numbers.format(value);
}

/** A test step's duration: "120 ms", "1.4 s". */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

/** A share (0..1) as a percentage: "42.5%", never above 100%. */
export function formatPercent(share: number): string {
  const clamped = Math.max(0, Math.min(1, share));
  // 99.96% would round to 100%: only a finished backfill shows 100%.
  return percent.format(clamped < 1 ? Math.min(clamped, 0.999) : 1);
}

const BYTE_UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** A size as Windows Explorer writes it (units of 1,024): "512 bytes", "1.4 MB", "2.1 TB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1024) return bytes === 1 ? '1 byte' : `${numbers.format(bytes)} bytes`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  // 1023.96 KB would print as "1,024 KB": write it in the next unit up instead.
  if (value >= 1023.95 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? numbers.format(Math.round(value)) : oneDecimal.format(value)} ${BYTE_UNITS[unit]}`;
}
