// electron-builder's `beforeBuild` hook (electron-builder.yml), run just before it rebuilds the
// native modules (better-sqlite3, keytar) for Electron.
//
// npm hands its configuration to scripts as npm_config_* variables, and electron-builder's rebuild
// inherits them. `nodedir` (set on machines whose npm builds addons against the system Node's
// headers) would make node-gyp compile for that Node instead of Electron, and so would `target`,
// `runtime` and `disturl`: the app would then fail to load its addons. Drop them for this process
// and the rebuild it starts. Returning true lets electron-builder do the rebuild itself.
/* global module */
const NPM_TARGET_OVERRIDES = /^npm_config_(nodedir|target|runtime|disturl|dist_url)$/i;

module.exports = async function beforeBuild() {
  for (const key of Object.keys(process.env)) {
    if (NPM_TARGET_OVERRIDES.test(key)) delete process.env[key];
  }
  return true;
};
