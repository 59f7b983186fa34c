/**
 * The engine and the contract refuse to remove a site with undelivered events (issue 17, item 2):
 * `sites.remove` answers `conflict` with the count by kind; `discardPending` removes it. Real
 * SQLite store, events written as extraction writes them; failed events count as undelivered too.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ApiHandlers } from '../../electron/engine/api/handlers.ts';
import { MemorySecretStore } from '../../electron/engine/secrets/secret-store.ts';
import { eventColumns, headerRow, type SessionWrite } from '../../electron/engine/store/session-store.ts';
import { newEngine } from '../support/engine-fixture.ts';
import { tempDir } from '../support/temp-dir.ts';
import { minimalEvent, minimalHeader } from '../support/store-fixtures.ts';

const NOW = Math.floor(Date.now() / 1000);
const write = (lsid: string, events: number): SessionWrite => ({
  lsid,
  header: headerRow(minimalHeader(lsid, NOW - 7200, NOW - 3600)),
  events: eventColumns(Array.from({ length: events }, (_, i) => minimalEvent(i + 1, NOW - 7200 + i))),
  follow: null,
});

describe('removing a site with undelivered events', () => {
  const engine = newEngine({ secrets: new MemorySecretStore(), storeWriterScript: 'inline' });
  const api = new ApiHandlers(engine, 'browser');
  after(() => engine.close());

  it('is refused through the contract with the count by kind, and done with discardPending', async () => {
    const site = await engine.addSite({ name: 'Lab', host: 'lab.example.com', clientId: 'c' }, 'secret-value');
    const other = await engine.addSite({ name: 'Other', host: 'other.example.com', clientId: 'c' }, 'secret-value');
    engine.store.write(site, [write('a', 5), write('b', 3)]);
    engine.store.write(other, [write('c', 4)]);
    // Two of Lab's events were delivered, one rejected.
    const ids = engine.database.db.prepare('SELECT e.id FROM events e JOIN sessions s ON s.id = e.session_id WHERE s.site_id = ? ORDER BY e.id').pluck().all(site.id) as number[];
    engine.database.db.prepare("UPDATE outbox SET state = 'sent' WHERE event_id IN (?, ?)").run(ids[0], ids[1]);
    engine.database.db.prepare("UPDATE outbox SET state = 'failed', last_error = 'mapper_parsing_exception' WHERE event_id = ?").run(ids[2]);

    assert.deepEqual(engine.sites.undelivered(site.id), { total: 6, parts: [{ kind: 'events-pending', count: 5 }, { kind: 'events-failed', count: 1 }] });
    const refused = await api.dispatch('sites.remove', { id: site.id });
    assert.equal(refused.ok, false);
    if (refused.ok) return;
    assert.equal(refused.status, 409);
    assert.equal(refused.error.code, 'conflict');
    assert.equal(refused.error.undelivered?.total, 6);
    assert.match(refused.error.message, /“Lab” still has 6 events not yet delivered \(5 waiting to be sent to Elasticsearch, 1 rejected by Elasticsearch/);
    assert.ok(engine.sites.findSite(site.id), 'the site stays');
    assert.equal(await engine.sites.getClientSecret(site), 'secret-value', 'and so does its secret');

    const removed = await api.dispatch('sites.remove', { id: site.id, discardPending: true });
    assert.deepEqual(removed, { ok: true, result: { id: site.id } });
    assert.equal(engine.sites.findSite(site.id), null);
    // The other site's events are untouched.
    assert.equal(engine.sites.undelivered(other.id).total, 4);
    assert.equal(engine.queries.outboxCounts().pending, 4);
  });

  it('ended sessions not yet in the archive folder count too (delivered to Elasticsearch or not)', async () => {
    const site = await engine.addSite({ name: 'Archived', host: 'archived.example.com', clientId: 'c' }, 'secret-value');
    engine.store.write(site, [write('x', 2), write('y', 1)]);
    const db = engine.database.db;
    db.prepare("UPDATE outbox SET state = 'sent' WHERE event_id IN (SELECT e.id FROM events e JOIN sessions s ON s.id = e.session_id WHERE s.site_id = ?)").run(site.id);
    // The site's cursor is past both sessions (they ended and were taken): due for the archive.
    db.prepare('INSERT OR REPLACE INTO site_state (site_id, range_start, cursor, window_seconds, updated_at) VALUES (?, ?, ?, 3600, ?)').run(site.id, NOW - 86_400, NOW, NOW);
    assert.equal(engine.sites.undelivered(site.id).total, 0, 'no archive folder: nothing waits for one');

    engine.setArchive({ dir: tempDir('pra-ic-archive-') });
    assert.deepEqual(engine.sites.undelivered(site.id), { total: 2, parts: [{ kind: 'archive-pending', count: 2 }] });
    const refused = await api.dispatch('sites.remove', { id: site.id });
    assert.equal(refused.ok, false);
    if (refused.ok) return;
    assert.match(refused.error.message, /“Archived” still has 2 ended sessions whose files are not in the archive folder yet\./);
    assert.ok(engine.sites.findSite(site.id), 'the site stays');
    assert.equal((await api.dispatch('sites.remove', { id: site.id, discardPending: true })).ok, true);
    engine.setArchive({ dir: null });
  });

  it('a site with nothing undelivered is removed without the flag', async () => {
    const site = await engine.addSite({ name: 'Empty', host: 'empty.example.com', clientId: 'c' }, 'secret-value');
    const removed = await api.dispatch('sites.remove', { id: site.id });
    assert.equal(removed.ok, true);
  });
});
