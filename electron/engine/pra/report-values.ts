// Text of the report → typed values (trimmed; empty or unreadable → null).
import type { XmlElement } from './xml-element.ts';

/** A string with the same characters that shares no memory with `s`: flattening the concatenation copies them. */
export function ownCopy(s: string): string {
  return (' ' + s).slice(1);
}

export function nonEmpty(value: string | undefined): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

export function textOf(el: XmlElement): string | null {
  return nonEmpty(el.text);
}

/** `xs:unsigned*` text → number; anything else (empty, `Unknown`) → null. */
export function parseUnsigned(value: string | undefined): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : null;
}

export function parseBoolean(value: string | undefined): boolean | null {
  switch (value?.trim().toLowerCase()) {
    case '1':
    case 'true':
    case 'yes':
      return true;
    case '0':
    case 'false':
    case 'no':
      return false;
    default:
      return null;
  }
}

const ISO_ZONE = /(?:z|[+-]\d\d(?::?\d\d)?)$/i;

/**
 * A timestamp as Unix seconds: numeric text as is (fractions floored), ISO 8601 text converted
 * (no zone means UTC, as everywhere in PRA's API); empty or unreadable → null.
 */
export function parseTimestamp(value: string | undefined): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (trimmed === '') return null;
  if (/^-?\d+(?:\.\d+)?$/.test(trimmed)) return Math.floor(Number(trimmed));
  const iso = /^\d{4}-\d\d-\d\dT/i.test(trimmed) && !ISO_ZONE.test(trimmed) ? `${trimmed}Z` : trimmed;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}
