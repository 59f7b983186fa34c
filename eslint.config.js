// Layering, after VS Code's code-layering rule: each folder may only import downwards.
//   shared/            anywhere (types, schemas, pure functions) — imports nothing of ours but shared/
//   electron/engine/   plain Node: never electron, React or the renderer
//   electron/cli/      plain Node: the engine and shared/, never electron
//   electron/main|preload/  the thin Electron shell: the only code that may import 'electron'
//   renderer/          the browser: shared/ only, never the engine or Node
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'The renderer talks to the engine only through the shared/ contract.' }],
        patterns: [{ group: ['**/electron/**', 'node:*', 'better-sqlite3', 'keytar', 'got'], message: 'The renderer talks to the engine only through the shared/ contract.' }],
      }],
    },
  },
);
