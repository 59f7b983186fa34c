// The `filter_path` query parameter (Elasticsearch reference, "Common options" > "Response filtering"):
// a comma-separated list of dot paths; `*` matches part of a field name, `**` any number of levels;
// a leading `-` excludes instead of includes. Arrays are transparent (a path applies to every element).
// Objects and arrays left empty by the filter are dropped; nothing matching leaves `{}`.

import type { JsonValue } from './json.ts';

type Path = string[];

function segmentMatches(pattern: string, key: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern === key;
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(key);
}

const DROP = Symbol('drop');
type Filtered = JsonValue | typeof DROP;

/** Remaining paths once `key` has been consumed by each path (a `**` may consume it or not). */
function advance(paths: Path[], key: string): { done: boolean; rest: Path[] } {
  let done = false;
  const rest: Path[] = [];
  for (const p of paths) {
    const [head, ...tail] = p;
    if (head === undefined) continue;
    if (head === '**') {
      rest.push(p); // ** keeps matching deeper
      const after = advance([tail], key);
      if (after.done) done = true;
      rest.push(...after.rest);
      if (tail.length === 0) done = true;
      continue;
    }
    if (segmentMatches(head, key)) {
      if (tail.length === 0) done = true;
      else rest.push(tail);
    }
  }
  return { done, rest };
}

function include(value: JsonValue, paths: Path[]): Filtered {
  if (Array.isArray(value)) {
    const out = value.map((v) => include(v, paths)).filter((v): v is JsonValue => v !== DROP);
    return out.length ? out : DROP;
  }
  if (value === null || typeof value !== 'object') return DROP;
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(value)) {
    const { done, rest } = advance(paths, k);
    if (done) out[k] = v;
    else if (rest.length) {
      const f = include(v, rest);
      if (f !== DROP) out[k] = f;
    }
  }
  return Object.keys(out).length ? out : DROP;
}

function exclude(value: JsonValue, paths: Path[]): Filtered {
  if (Array.isArray(value)) return value.map((v) => exclude(v, paths)).filter((v): v is JsonValue => v !== DROP);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(value)) {
    const { done, rest } = advance(paths, k);
    if (done) continue;
    if (rest.length) {
      const f = exclude(v, rest);
      if (f !== DROP) out[k] = f;
    } else out[k] = v;
  }
  return out;
}

export function applyFilterPath(body: JsonValue, filterPath: string | null): JsonValue {
  if (!filterPath) return body;
  const all = filterPath.split(',').map((s) => s.trim()).filter(Boolean);
  const includes = all.filter((p) => !p.startsWith('-')).map((p) => p.split('.'));
  const excludes = all.filter((p) => p.startsWith('-')).map((p) => p.slice(1).split('.'));
  let out: Filtered = body;
  if (includes.length) out = include(body, includes);
  if (out === DROP) return {};
  if (excludes.length) out = exclude(out, excludes);
  return out === DROP ? {} : out;
}
