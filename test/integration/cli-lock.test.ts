/**
 * One engine per data folder (issue 17, item 3), with real processes: a `pra-ic run` holds the
 * folder, a second run is refused naming its pid (or waits with --wait), read-only commands keep
 * working, and a kill -9 of the holder leaves nothing locked.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/temp-dir.ts';

const BIN = fileURLToPath(new URL('../../bin/pra-ic.js', import.meta.url));
const children = new Set<ChildProcess>();

/** `pra-ic run` (on schedule) on `dataDir`, resolved once it says it is running. */
async function startHolder(dataDir: string): Promise<{ child: ChildProcess; exited: Promise<number | null>; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, '--data-dir', dataDir, 'run'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('Running on schedule')) resolve();
    });
    child.on('close', (code) => reject(new Error(`the holder ended (${code}) before running: ${stderr}`)));
  });
  return { child, exited, stderr: () => stderr };
}

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('one engine per data folder', () => {
  it('refuses a second run naming the holder, lets read-only commands work, and --wait starts when the holder ends', async () => {
    const dataDir = tempDir();
    const holder = await startHolder(dataDir);

    const second = await runCli(['--data-dir', dataDir, 'run', '--once']);
    assert.equal(second.code, 75, second.stderr);
    assert.match(second.stderr, new RegExp(`data folder .* is in use by process ${holder.child.pid}\\b`));
    assert.match(second.stderr, /--wait/);
    assert.doesNotMatch(second.stdout, /ok —|delivered/, 'the refused run did nothing');

    const status = await runCli(['--data-dir', dataDir, 'status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const sessions = await runCli(['--data-dir', dataDir, 'sessions', 'list']);
    assert.equal(sessions.code, 0, sessions.stderr);

    // --wait: waits while the holder runs, then runs once it has stopped.
    const waiter = spawn(process.execPath, [BIN, '--data-dir', dataDir, 'run', '--once', '--wait'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(waiter);
    let waiterErr = '';
    const waiterDone = new Promise<number | null>((resolve) => waiter.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve) =>
      waiter.stderr!.on('data', (d: Buffer) => {
        waiterErr += d.toString();
        if (waiterErr.includes('Waiting')) resolve();
      }),
    );
    assert.match(waiterErr, new RegExp(`Waiting: process ${holder.child.pid} is using the data folder`));
    assert.equal(waiter.exitCode, null, 'still waiting while the holder runs');
    holder.child.kill('SIGTERM');
    assert.equal(await holder.exited, 0, holder.stderr());
    assert.equal(await waiterDone, 0, waiterErr);
  });

  it('a holder killed with SIGKILL leaves the folder free', async () => {
    const dataDir = tempDir();
    const holder = await startHolder(dataDir);
    const refused = await runCli(['--data-dir', dataDir, 'run', '--once']);
    assert.equal(refused.code, 75, refused.stderr);
    holder.child.kill('SIGKILL');
    await holder.exited;
    const next = await runCli(['--data-dir', dataDir, 'run', '--once']);
    assert.equal(next.code, 0, next.stderr);
    assert.doesNotMatch(next.stderr, /in use/);
  });

  it('ui --no-extract serves while another process holds the folder; its Run now is refused naming that process, then works once it ended', { timeout: 240_000 }, async () => {
    const dataDir = tempDir();
    const holder = await startHolder(dataDir);
    // Building the UI on first use may take a while in a fresh checkout.
    const ui = spawn(process.execPath, [BIN, '--data-dir', dataDir, 'ui', '--no-extract', '--no-open'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(ui);
    let out = '';
    const url = await new Promise<URL>((resolve, reject) => {
      ui.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+)/.exec(out);
        if (m) resolve(new URL(m[1]!));
      });
      ui.on('close', (code) => reject(new Error(`pra-ic ui ended (${code}) before it served: ${out}`)));
    });
    const call = (path: string, body: unknown, auth?: string) =>
      new Promise<{ status: number; body: { ok: boolean; result?: { session?: string }; error?: { message: string } } }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: url.port, path, method: 'POST', headers: { host: url.host, 'content-type': 'application/json', 'x-pra-ic-request': '1', ...(auth ? { authorization: `Bearer ${auth}` } : {}) } },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    const session = (await call('/api/session', { token: url.hash.replace(/^#token=/, '') })).body.result!.session!;
    assert.equal((await call('/api/invoke/status.get', {}, session)).status, 200, 'looking works beside the holder');

    const refused = await call('/api/invoke/sites.runNow', {}, session);
    assert.equal(refused.status, 409);
    assert.match(refused.body.error!.message, new RegExp(`in use by process ${holder.child.pid}\\b`));

    holder.child.kill('SIGTERM');
    await holder.exited;
    const ran = await call('/api/invoke/sites.runNow', {}, session);
    assert.equal(ran.status, 200, JSON.stringify(ran.body));
    // Now this UI holds the folder: a run is refused, naming it.
    const second = await runCli(['--data-dir', dataDir, 'run', '--once']);
    assert.equal(second.code, 75, second.stderr);
    assert.match(second.stderr, new RegExp(`in use by process ${ui.pid}\\b`));
    ui.kill('SIGTERM');
  });
});
