#!/usr/bin/env node
// The pra-ic command. It runs the build in dist/cli/ (plain JavaScript made by scripts/build-cli.ts,
// which `npm install` / `npm ci` run through package.json's "prepare"): it starts in a fraction of
// the time tsx takes to compile the sources.
//
// It runs the TypeScript sources through tsx's loader instead, so that what runs is always what is
// checked out:
//   - when PRA_IC_FROM_SOURCES=1 (the test runner sets it: tests run the sources; one test runs
//     the build and compares the two),
//   - when there is no build (a checkout where `npm install` has not run), with a hint on stderr,
//   - when a source the build was made from has changed since (development), with a hint on stderr.
// The staleness check stats the ~60 files listed in dist/cli/build.json: a millisecond or two.
import { readFileSync, statSync } from 'node:fs';

const build = new URL('../dist/cli/', import.meta.url);
const entry = new URL('pra-ic.js', build);

/** Why the build cannot be used (a hint for stderr), '' when it can, null when the sources are asked for. */
function whyNotBuilt() {
  if (process.env.PRA_IC_FROM_SOURCES === '1') return null;
  let builtAt;
  let inputs;
  try {
    builtAt = statSync(entry).mtimeMs;
    ({ inputs } = JSON.parse(readFileSync(new URL('build.json', build), 'utf8')));
  } catch {
    return 'pra-ic is not built (dist/cli/): running the TypeScript sources, slower to start. Build it with: npm run build:cli';
  }
  const root = new URL('../', import.meta.url);
  for (const input of inputs) {
    let changed;
    try {
      changed = statSync(new URL(input, root)).mtimeMs > builtAt;
    } catch {
      changed = true; // removed or renamed since the build
    }
    if (changed) return `pra-ic's build (dist/cli/) is older than ${input}: running the TypeScript sources, slower to start. Rebuild with: npm run build:cli`;
  }
  return '';
}

const reason = whyNotBuilt();
if (reason === '') {
  await import(entry.href);
} else {
  if (reason) process.stderr.write(`${reason}\n`);
  const { register } = await import('tsx/esm/api');
  register();
  await import('../electron/cli/main.ts');
}
