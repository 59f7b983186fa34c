import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { APP_DIR_NAME, DATA_DIR_ENV, defaultDataDir, resolveDataDir } from '../../electron/engine/paths.ts';

describe('data directory', () => {
  it('uses the same folder as Electron’s userData on each platform', () => {
    assert.equal(APP_DIR_NAME, 'PRA Integration Client');
    assert.equal(
      defaultDataDir({ platform: 'win32', env: { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, homeDir: 'C:\\Users\\ann' }),
      'C:\\Users\\ann\\AppData\\Roaming\\PRA Integration Client',
    );
    assert.equal(
      defaultDataDir({ platform: 'win32', env: {}, homeDir: 'C:\\Users\\ann' }),
      'C:\\Users\\ann\\AppData\\Roaming\\PRA Integration Client',
    );
    assert.equal(
      defaultDataDir({ platform: 'darwin', env: {}, homeDir: '/Users/ann' }),
      '/Users/ann/Library/Application Support/PRA Integration Client',
    );
    assert.equal(defaultDataDir({ platform: 'linux', env: {}, homeDir: '/home/ann' }), '/home/ann/.config/PRA Integration Client');
    assert.equal(
      defaultDataDir({ platform: 'linux', env: { XDG_CONFIG_HOME: '/srv/conf' }, homeDir: '/home/ann' }),
      '/srv/conf/PRA Integration Client',
    );
    // A relative XDG_CONFIG_HOME is invalid by the XDG spec and ignored.
    assert.equal(
      defaultDataDir({ platform: 'linux', env: { XDG_CONFIG_HOME: 'conf' }, homeDir: '/home/ann' }),
      '/home/ann/.config/PRA Integration Client',
    );
  });

  it('--data-dir wins over PRA_IC_DATA_DIR, which wins over the default', () => {
    const env = { [DATA_DIR_ENV]: '/var/lib/pra-ic' };
    const base = { platform: 'linux' as const, homeDir: '/home/ann', cwd: '/work' };
    assert.equal(resolveDataDir({ ...base, env, dataDir: '/data/x' }), '/data/x');
    assert.equal(resolveDataDir({ ...base, env }), '/var/lib/pra-ic');
    assert.equal(resolveDataDir({ ...base, env: {} }), '/home/ann/.config/PRA Integration Client');
    assert.equal(resolveDataDir({ ...base, env: { [DATA_DIR_ENV]: '  ' }, dataDir: '' }), '/home/ann/.config/PRA Integration Client');
  });

  it('makes relative paths absolute and expands ~', () => {
    const base = { platform: 'linux' as const, homeDir: '/home/ann', env: {}, cwd: '/work' };
    assert.equal(resolveDataDir({ ...base, dataDir: 'data' }), '/work/data');
    assert.equal(resolveDataDir({ ...base, dataDir: '~/pra' }), '/home/ann/pra');
    assert.equal(resolveDataDir({ ...base, env: { [DATA_DIR_ENV]: '~' } }), '/home/ann');
    assert.ok(path.isAbsolute(resolveDataDir({ dataDir: 'relative' })));
  });
});
