// The desktop app on a data folder a `pra-ic run` holds (a real second process): it does not
// start a second engine; it says which process holds the folder and exits (issue 17, item 3).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { register } from 'node:module';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tempDir } from '../support/temp-dir.ts';

const fakeUrl = pathToFileURL(path.join(import.meta.dirname, 'fake-electron.ts')).href;
const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: ${JSON.stringify(fakeUrl)}, shortCircuit: true };
  if (specifier.endsWith('?asset')) return { url: 'data:text/javascript,export default "/fake-assets/icon.png"', shortCircuit: true };
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

const fake = (await import(fakeUrl)) as typeof import('./fake-electron.ts');
const { app, calls } = fake;
const { main } = await import('../../electron/main/app.ts');
const BIN = fileURLToPath(new URL('../../bin/pra-ic.js', import.meta.url));

const dataDir = tempDir('pra-ic-main-lock-');
const holder = spawn(process.execPath, [BIN, '--data-dir', dataDir, 'run'], { stdio: ['ignore', 'ignore', 'pipe'] });
after(() => {
  holder.kill('SIGKILL');
  delete process.env.PRA_IC_DATA_DIR;
});

describe('the desktop app on a data folder in use', () => {
  it('refuses to start a second engine, naming the process that holds the folder', async () => {
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      holder.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('Running on schedule')) resolve();
      });
      holder.on('close', (code) => reject(new Error(`pra-ic run ended (${code}): ${stderr}`)));
    });
    process.env.PRA_IC_DATA_DIR = dataDir;
    main();
    app.fireReady();
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    const box = calls.find((c) => c.startsWith('showErrorBox'));
    assert.ok(box, calls.join('\n'));
    assert.match(box, new RegExp(`is in use by process ${holder.pid}\\b`));
    assert.equal(app.exitCode, 1);
    assert.equal(holder.exitCode, null, 'the CLI run goes on');
  });
});
