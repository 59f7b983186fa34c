// Layering, after VS Code's code-layering rule: each folder may only import downwards.
//   shared/            anywhere (types, schemas, pure functions) — imports nothing of ours but shared/
//   electron/engine/   plain Node: never electron, React or the renderer
//   electron/cli/      plain Node: the engine and shared/, never electron
//   electron/main|preload/  the thin Electron shell: the only code that may import 'electron'
//   renderer/          the browser: shared/ only, never the engine or Node
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// ── No circle between the engine's folders ─────────────────────────────────────────────────────
// Each folder of electron/engine/ is a module (a file directly in electron/engine/ counts as one of
// its own). An import from module A to module B is refused when B, through its own imports, comes
// back to A: then neither is below the other (db/ importing the store's migrations while store/
// imported db's Migration type was one). Type-only and dynamic imports count too: they are how the
// modules depend on each other, even when nothing is loaded at run time.
const ENGINE = resolve(import.meta.dirname, 'electron/engine');
const moduleOf = (file) => {
  const rel = relative(ENGINE, file);
  if (rel.startsWith('..')) return null;
  const parts = rel.split(sep);
  return parts.length > 1 ? `${parts[0]}/` : parts[0];
};
const SPECIFIERS = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s*)['"](\.{1,2}\/[^'"]+)['"]/gm;
let engineGraph = null;
/** Module → the modules it imports, each with the first file that does (read from disk once per run). */
function moduleGraph() {
  if (engineGraph) return engineGraph;
  engineGraph = new Map();
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const from = moduleOf(path);
        for (const [, spec] of readFileSync(path, 'utf8').matchAll(SPECIFIERS)) {
          const to = moduleOf(resolve(dirname(path), spec));
          if (!to || to === from) continue;
          if (!engineGraph.has(from)) engineGraph.set(from, new Map());
          if (!engineGraph.get(from).has(to)) engineGraph.get(from).set(to, relative(ENGINE, path));
        }
      }
    }
  };
  walk(ENGINE);
  return engineGraph;
}
/** The chain of modules from `start` back to `goal`, or null. */
function pathBack(start, goal) {
  const graph = moduleGraph();
  const seen = new Set([start]);
  const queue = [[start]];
  while (queue.length > 0) {
    const chain = queue.shift();
    for (const next of graph.get(chain.at(-1))?.keys() ?? []) {
      if (next === goal) return [...chain, next];
      if (!seen.has(next)) {
        seen.add(next);
        queue.push([...chain, next]);
      }
    }
  }
  return null;
}
const engineLayers = {
  rules: {
    'no-module-cycle': {
      meta: { type: 'problem', schema: [], docs: { description: 'no import circle between the folders of electron/engine/' } },
      create(context) {
        const from = moduleOf(context.filename);
        if (!from) return {};
        const check = (node) => {
          const spec = node.source?.value;
          if (typeof spec !== 'string' || !spec.startsWith('.')) return;
          const to = moduleOf(resolve(dirname(context.filename), spec));
          if (!to || to === from) return;
          const back = pathBack(to, from);
          if (back) {
            context.report({
              node: node.source,
              message: `electron/engine/${from} imports ${to}, and ${to} leads back to ${from} (${back.join(' → ')}): a circle between modules. Move what both need into the lower one, or register it from above (as electron/engine/settings-db.ts registers each module's migrations).`,
            });
          }
        };
        return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
      },
    },
  },
};

const noElectronOrUi = [
  { name: 'electron', message: 'The engine runs in plain Node: only electron/main and electron/preload may import electron.' },
  { name: 'react', message: 'The engine never imports React.' },
];
const uiPatterns = [{ group: ['**/renderer/**', 'react-dom', 'react-dom/*', '@fluentui/*'], message: 'The engine never imports UI code.' }];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'release/', 'test-results/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', AbortController: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: noElectronOrUi,
        patterns: [{ group: ['**/electron/**', '**/renderer/**', 'node:*'], message: 'shared/ runs on both sides: it imports only shared/ and pure libraries.' }],
      }],
    },
  },
  {
    files: ['electron/engine/**/*.ts', 'electron/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: noElectronOrUi,
        patterns: [...uiPatterns, { group: ['**/main/**', '**/preload/**'], message: 'The engine never imports the Electron shell.' }],
      }],
    },
  },
  {
    files: ['electron/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: noElectronOrUi,
        patterns: [...uiPatterns, { group: ['**/main/**', '**/preload/**', '**/cli/**'], message: 'The engine never imports the Electron shell or the CLI.' }],
      }],
    },
  },
  {
    files: ['electron/engine/**/*.ts'],
    plugins: { 'engine-layers': engineLayers },
    rules: { 'engine-layers/no-module-cycle': 'error' },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'The renderer talks to the engine only through the shared/ contract.' }],
        patterns: [{ group: ['**/electron/**', 'node:*', 'better-sqlite3', 'keytar', 'got'], message: 'The renderer talks to the engine only through the shared/ contract.' }],
      }],
    },
  },
);
