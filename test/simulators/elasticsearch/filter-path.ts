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

/**
 * Paths still to match at some depth, and where each key met there led. The answer to a `_bulk` of
 * 500 documents filtered by `items.*.status` meets the same few keys 500 times: `advance` runs once
 * per (state, key), not once per key met (allocating each time), so filtering costs about what
 * Elasticsearch's own filtering serialiser does, and the simulator stays off the shipper's path.
 */
interface State {
  paths: Path[];
  steps: Map<string, { done: boolean; rest: State | null }>;
}

/** States made since the cache was last emptied: with `**` each key met can make one. */
let made = 0;

function state(paths: Path[]): State {
  made++;
  return { paths, steps: new Map() };
}

function step(from: State, key: string): { done: boolean; rest: State | null } {
  let next = from.steps.get(key);
  if (next === undefined) {
    const { done, rest } = advance(from.paths, key);
    next = { done, rest: rest.length ? state(rest) : null };
    // Bounded: the keys of documents (a search's `_source`) can be anything.
    if (from.steps.size < 1024) from.steps.set(key, next);
  }
  return next;
}

function include(value: JsonValue, at: State): Filtered {
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (const v of value) {
      const f = include(v, at);
      if (f !== DROP) out.push(f);
    }
    return out.length ? out : DROP;
  }
  if (value === null || typeof value !== 'object') return DROP;
  const out: Record<string, JsonValue> = {};
  let kept = false;
  for (const k of Object.keys(value)) {
    const { done, rest } = step(at, k);
    if (done) {
      out[k] = value[k]!;
      kept = true;
    } else if (rest) {
      const f = include(value[k]!, rest);
      if (f !== DROP) {
        out[k] = f;
        kept = true;
      }
    }
  }
  return kept ? out : DROP;
}

function exclude(value: JsonValue, at: State): Filtered {
  if (Array.isArray(value)) return value.map((v) => exclude(v, at)).filter((v): v is JsonValue => v !== DROP);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, JsonValue> = {};
  for (const k of Object.keys(value)) {
    const { done, rest } = step(at, k);
    if (done) continue;
    if (rest) {
      const f = exclude(value[k]!, rest);
      if (f !== DROP) out[k] = f;
    } else out[k] = value[k]!;
  }
  return out;
}

/** Each filter_path text's starting states, kept (a client sends the same few again and again). */
const compiled = new Map<string, { includes: State | null; excludes: State | null }>();

function compile(filterPath: string): { includes: State | null; excludes: State | null } {
  if (made > 100_000) {
    compiled.clear();
    made = 0;
  }
  let c = compiled.get(filterPath);
  if (c === undefined) {
    const all = filterPath.split(',').map((s) => s.trim()).filter(Boolean);
    const includes = all.filter((p) => !p.startsWith('-')).map((p) => p.split('.'));
    const excludes = all.filter((p) => p.startsWith('-')).map((p) => p.slice(1).split('.'));
    c = { includes: includes.length ? state(includes) : null, excludes: excludes.length ? state(excludes) : null };
    if (compiled.size >= 64) compiled.clear();
    compiled.set(filterPath, c);
  }
  return c;
}

export function applyFilterPath(body: JsonValue, filterPath: string | null): JsonValue {
  if (!filterPath) return body;
  const { includes, excludes } = compile(filterPath);
  let out: Filtered = body;
  if (includes) out = include(body, includes);
  if (out === DROP) return {};
  if (excludes) out = exclude(out, excludes);
  return out === DROP ? {} : out;
}
