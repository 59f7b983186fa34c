// The Elasticsearch simulator's `filter_path` (Elasticsearch reference, "Common options" >
// "Response filtering"), on the answers it filters: documented examples, and the same answer for
// every item of a long `_bulk` answer (where each state's steps are remembered).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { applyFilterPath } from './elasticsearch/filter-path.ts';
import type { JsonValue } from './elasticsearch/json.ts';

const bulkItem = (i: number, status = 201): JsonValue => ({
  create: {
    _index: 'logs-x-default',
    _id: `id-${i}`,
    _version: 1,
    result: status === 201 ? 'created' : undefined,
    _shards: { total: 2, successful: 1, failed: 0 },
    status,
    ...(status === 201 ? {} : { error: { type: 'version_conflict_engine_exception', reason: `[id-${i}]: version conflict`, index: 'logs-x-default' } }),
  },
} as unknown as JsonValue);

describe('elasticsearch simulator: filter_path', () => {
  it('keeps the documented paths: exact, `*` for part of a name or a whole level, `**` for any depth', () => {
    const body: JsonValue = { took: 3, errors: false, hits: { total: { value: 2 }, hits: [{ _id: 'a', _source: { user: { name: 'x' } } }, { _id: 'b', _source: { user: { name: 'y' } } }] } };
    assert.deepEqual(applyFilterPath(body, 'took,hits.hits._id'), { took: 3, hits: { hits: [{ _id: 'a' }, { _id: 'b' }] } });
    assert.deepEqual(applyFilterPath(body, 'hits.*.value'), { hits: { total: { value: 2 } } });
    assert.deepEqual(applyFilterPath(body, 'ta*,err*'), { errors: false });
    assert.deepEqual(applyFilterPath(body, 'hits.**.name'), { hits: { hits: [{ _source: { user: { name: 'x' } } }, { _source: { user: { name: 'y' } } }] } });
    assert.deepEqual(applyFilterPath(body, '-hits,-took'), { errors: false });
    assert.deepEqual(applyFilterPath(body, 'hits.hits,-hits.hits._source'), { hits: { hits: [{ _id: 'a' }, { _id: 'b' }] } });
    assert.deepEqual(applyFilterPath(body, 'nothing.here'), {});
    assert.equal(applyFilterPath(body, null), body);
  });

  it("filters every item of a long _bulk answer alike, errors included, the shipper's paths", () => {
    const items = Array.from({ length: 1500 }, (_, i) => bulkItem(i, i % 7 === 3 ? 409 : 201));
    const fp = 'errors,items.*.status,items.*.error.type,items.*.error.reason';
    const out = applyFilterPath({ took: 1, errors: true, items }, fp) as { errors: boolean; items: { create: { status: number; error?: { type: string; reason: string } } }[] };
    assert.equal(out.errors, true);
    assert.equal(out.items.length, 1500);
    out.items.forEach((item, i) => {
      const expected = i % 7 === 3 ? { status: 409, error: { type: 'version_conflict_engine_exception', reason: `[id-${i}]: version conflict` } } : { status: 201 };
      assert.deepEqual(item, { create: expected }, `item ${i}`);
    });
    // Asked again (the same filter, steps remembered), and with another: the same answers.
    assert.deepEqual(applyFilterPath({ took: 1, errors: true, items }, fp), out);
    assert.deepEqual(applyFilterPath({ items: items.slice(0, 3) }, 'items.*._id'), { items: [{ create: { _id: 'id-0' } }, { create: { _id: 'id-1' } }, { create: { _id: 'id-2' } }] });
  });

  it('`**` over answers of many distinct keys: filtered the same once the remembered states are let go', () => {
    const answer = (n: number): JsonValue => {
      const hits: Record<string, JsonValue> = {};
      for (let i = 0; i < n; i++) hits[`doc${i}`] = { inner: { keep: i, drop: i } };
      return { hits };
    };
    // 60,000 keys make as many states each time: the second answer passes the bound (100,000).
    for (let round = 0; round < 3; round++) {
      const out = applyFilterPath(answer(60_000), '**.keep') as { hits: Record<string, { inner: { keep: number } }> };
      assert.equal(Object.keys(out.hits).length, 60_000, `round ${round}`);
      assert.deepEqual(out.hits.doc59999, { inner: { keep: 59_999 } });
    }
  });

  it('keys beyond what a state remembers are still filtered', () => {
    const wide: Record<string, JsonValue> = {};
    for (let i = 0; i < 3000; i++) wide[`k${i}`] = { keep: i, drop: -i };
    const out = applyFilterPath({ wide }, 'wide.*.keep') as { wide: Record<string, { keep: number }> };
    assert.equal(Object.keys(out.wide).length, 3000);
    assert.deepEqual(out.wide.k2999, { keep: 2999 });
    assert.deepEqual(out.wide.k0, { keep: 0 });
  });
});
