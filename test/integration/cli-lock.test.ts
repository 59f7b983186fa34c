/**
 * One engine per data folder (issue 17, item 3), with real processes: a `pra-ic run` holds the
 * folder, a second run is refused naming its pid (or waits with --wait), read-only commands keep
 * working, and a kill -9 of the holder leaves nothing locked.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
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
});
