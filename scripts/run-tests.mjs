// Runs every *.test.ts under test/ with node's own test runner (TypeScript through tsx) and ends
// with the plain "N passed, N failed" line CI reads. Arguments narrow the run to matching paths.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : findTests(path);
    return entry.name.endsWith('.test.ts') ? [relative(process.cwd(), path)] : [];
  });
}

const filters = process.argv.slice(2);
const files = findTests('test')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`No test file matches ${filters.join(' ')}`);
  process.exit(1);
}

const child = spawn(
  process.execPath,
  [
    '--import', 'tsx', '--test', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    // How a test file's process ended, when it ended badly: printed last, where CI's tail shows it.
    `--test-reporter=${new URL('./test-process-reporter.mjs', import.meta.url).href}`, '--test-reporter-destination=stdout',
    ...files,
  ],
  // PRA_IC_FROM_SOURCES: bin/pra-ic.js runs the TypeScript sources, not dist/cli/'s build (which may
  // be older than the sources being tested); test/integration/cli-build.test.ts checks the build.
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PRA_IC_FROM_SOURCES: '1' } },
);
// The runner's own summary lines ("ℹ pass 12"); the last of each wins. Read line by line, because
// failure details follow the summary and can be long.
const summary = {};
let partial = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const lines = (partial + chunk.toString()).split('\n');
  partial = lines.pop() ?? '';
  for (const line of lines) {
    const m = /^ℹ (pass|fail|cancelled) (\d+)$/.exec(line.trim());
    if (m) summary[m[1]] = Number(m[2]);
  }
});
child.on('close', (code) => {
  const count = (label) => summary[label] ?? 0;
  const passed = count('pass');
  const failed = count('fail') + count('cancelled');
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(code === 0 && failed === 0 && passed > 0 ? 0 : 1);
});
