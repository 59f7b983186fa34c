// The REAL OS keychain through keytar. `npm test` runs this inside a private D-Bus session with an
// unlocked gnome-keyring and PRA_IC_REAL_KEYCHAIN=1: then every test runs and a missing keychain
// fails loudly. Run by hand without that variable and without a keychain, the suite is skipped.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import keytar from 'keytar';
import { openSettingsDatabase } from '../../electron/engine/settings-db.ts';
import { KeychainError, KeytarSecretStore } from '../../electron/engine/secrets/keytar-secret-store.ts';
import { SECRET_SERVICE, secretAccounts } from '../../electron/engine/secrets/secret-store.ts';
import { SiteService } from '../../electron/engine/sites/site-service.ts';

const required = process.env.PRA_IC_REAL_KEYCHAIN === '1';
const run = randomUUID();
/**
 * The product's store, used here only by name (set, get, delete). Listing is tested under a service
 * of this run's own: a listing reads every secret of its service, and libsecret aborts the process
 * when another process (the test files run in parallel on one keyring) deletes one of them meanwhile.
 */
const productStore = new KeytarSecretStore();
const TEST_SERVICE = `${SECRET_SERVICE} test ${run}`;
const store = new KeytarSecretStore(TEST_SERVICE);
/** Install ids unique to this run; everything under them is removed at the end. */
const installA = `test-${run}-a`;
const installB = `test-${run}-b`;
/** The one account this run stores under the product's service. */
const productAccount = `test-${run}-product`;

async function probe(): Promise<string | null> {
  const account = `test-${run}-probe`;
  try {
    await store.set(account, 'probe');
    const value = await store.get(account);
    await store.delete(account);
    return value === 'probe' ? null : 'the probe secret did not read back';
  } catch (error) {
    return (error as Error).message;
  }
}

const problem = required ? null : await probe();
const skip = problem === null ? false : `no usable OS keychain (set PRA_IC_REAL_KEYCHAIN=1 to make this fail instead): ${problem}`;
if (skip) console.log(`# keytar-secret-store: skipped, ${skip}`);

after(async () => {
  if (skip) return;
  for (const credential of await keytar.findCredentials(TEST_SERVICE)) await keytar.deletePassword(TEST_SERVICE, credential.account);
  await keytar.deletePassword(SECRET_SERVICE, productAccount);
});

describe('KeytarSecretStore against the real keychain', { skip }, () => {
  it('the keychain works (a Secret Service is running and unlocked)', async () => {
    assert.equal(await probe(), null, 'the OS keychain must work in this environment');
  });

  it('sets, gets, lists and deletes', async () => {
    const account = secretAccounts.siteClientSecret(installA, 1);
    assert.equal(await store.get(account), null);
    await store.set(account, 'first value');
    assert.equal(await store.get(account), 'first value');
    assert.equal(await keytar.getPassword(TEST_SERVICE, account), 'first value', 'stored under its service');
    await store.set(account, 'second välue ✓');
    assert.equal(await store.get(account), 'second välue ✓');

    const backup = secretAccounts.siteBackupPassword(installA, 1);
    await store.set(backup, 'backup');
    const accounts = await store.accounts(secretAccounts.sitePrefix(installA, 1));
    assert.deepEqual(accounts.sort(), [backup, account].sort());
    assert.ok(accounts.every((a) => typeof a === 'string'));

    assert.equal(await store.delete(account), true);
    assert.equal(await store.delete(account), false);
    assert.equal(await store.get(account), null);
    assert.deepEqual(await store.accounts(secretAccounts.sitePrefix(installA, 1)), [backup]);
    assert.equal(await store.delete(backup), true);
    assert.deepEqual(await store.accounts(secretAccounts.sitePrefix(installA, 1)), []);
  });

  it('the product stores under SECRET_SERVICE', async () => {
    await productStore.set(productAccount, 'product value');
    assert.equal(await keytar.getPassword(SECRET_SERVICE, productAccount), 'product value');
    assert.equal(await productStore.get(productAccount), 'product value');
    assert.equal(await productStore.delete(productAccount), true);
    assert.equal(await keytar.getPassword(SECRET_SERVICE, productAccount), null);
  });

  it('calls made at once run one after the other, and each gets its own answer', async () => {
    const accounts = Array.from({ length: 8 }, (_, i) => `${installA}/concurrent/${i}`);
    await Promise.all(accounts.map((a, i) => store.set(a, `value ${i}`)));
    const [listed, ...values] = await Promise.all([store.accounts(`${installA}/concurrent/`), ...accounts.map((a) => store.get(a)), ...accounts.map((a) => store.delete(a))]);
    assert.deepEqual((listed as string[]).sort(), [...accounts].sort());
    assert.deepEqual(values.slice(0, accounts.length), accounts.map((_, i) => `value ${i}`));
    assert.deepEqual(values.slice(accounts.length), accounts.map(() => true));
    assert.deepEqual(await store.accounts(`${installA}/concurrent/`), []);
  });

  it('two install ids do not see each other’s secrets', async () => {
    const a = secretAccounts.siteClientSecret(installA, 7);
    const b = secretAccounts.siteClientSecret(installB, 7);
    await store.set(a, 'secret of A');
    await store.set(b, 'secret of B');
    assert.equal(await store.get(a), 'secret of A');
    assert.equal(await store.get(b), 'secret of B');
    assert.deepEqual(await store.accounts(secretAccounts.sitePrefix(installA, 7)), [a]);
    assert.deepEqual(await store.accounts(secretAccounts.sitePrefix(installB, 7)), [b]);
    assert.deepEqual(await store.accounts(`${installA}/`), [a]);
    await store.delete(a);
    assert.equal(await store.get(b), 'secret of B');
    await store.delete(b);
  });

  it('removing a site through SiteService removes its secrets from the keychain', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pra-ic-keytar-'));
    const app = openSettingsDatabase(dir);
    try {
      const service = new SiteService(app, store);
      const prod = await service.addSite({ name: 'Production', host: 'access.example.com', clientId: 'id-1' }, 'prod secret');
      const lab = await service.addSite({ name: 'Lab', host: 'lab.example.com', clientId: 'id-2' }, 'lab secret');
      await store.set(secretAccounts.siteBackupPassword(app.installId, prod.id), 'backup password');
      assert.equal(await keytar.getPassword(TEST_SERVICE, secretAccounts.siteClientSecret(app.installId, prod.id)), 'prod secret');
      assert.equal(await service.getClientSecret(prod), 'prod secret');

      await service.editSite(prod.id, { enabled: false }, 'new prod secret');
      assert.equal(await service.getClientSecret(prod), 'new prod secret');

      await service.removeSite('production');
      assert.equal(service.findSite(prod.id), null);
      const left = (await keytar.findCredentials(TEST_SERVICE)).map((c) => c.account);
      assert.deepEqual(
        left.filter((a) => a.startsWith(secretAccounts.sitePrefix(app.installId, prod.id))),
        [],
      );
      assert.equal(await keytar.getPassword(TEST_SERVICE, secretAccounts.siteClientSecret(app.installId, prod.id)), null);
      assert.equal(await keytar.getPassword(TEST_SERVICE, secretAccounts.siteBackupPassword(app.installId, prod.id)), null);
      assert.equal(await service.getClientSecret(lab), 'lab secret');

      await service.removeSite(lab.id);
      assert.deepEqual(await store.accounts(`${app.installId}/`), []);
    } finally {
      app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('KeytarSecretStore without a keychain', { skip: process.platform !== 'linux' && 'the D-Bus Secret Service is Linux only' }, () => {
  it('says the keychain is not available and what must run, without the secret', async () => {
    // A child process whose session bus does not exist: libsecret cannot reach any Secret Service.
    const script = `
      import { KeytarSecretStore } from ${JSON.stringify(path.resolve('electron/engine/secrets/keytar-secret-store.ts'))};
      try {
        await new KeytarSecretStore().set('test-no-keychain/x', 'do-not-show-me');
        console.log('STORED');
      } catch (error) {
        console.log(JSON.stringify({ name: error.name, message: error.message }));
      }`;
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/pra-ic-test-bus', DISPLAY: '' };
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env,
      timeout: 30_000,
    });
    const line = stdout.trim().split('\n').pop()!;
    assert.notEqual(line, 'STORED');
    const error = JSON.parse(line) as { name: string; message: string };
    assert.equal(error.name, new KeychainError('').name);
    assert.match(error.message, /^The OS keychain is not available \(on Linux: a Secret Service such as gnome-keyring must be running and unlocked\)/);
    assert.doesNotMatch(error.message, /do-not-show-me/);
  });

  it('warming up (pra-ic run, while the engine loads) does not fail: the first real read says what is wrong', async () => {
    const script = `
      import { warmUpKeychain, KeytarSecretStore } from ${JSON.stringify(path.resolve('electron/engine/secrets/keytar-secret-store.ts'))};
      console.log(JSON.stringify(await warmUpKeychain()) ?? 'undefined');
      await new KeytarSecretStore().get('test-no-keychain/x').then(() => console.log('READ'), (error) => console.log(error.name));`;
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/pra-ic-test-bus', DISPLAY: '' };
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, timeout: 30_000 });
    assert.deepEqual(stdout.trim().split('\n').slice(-2), ['undefined', new KeychainError('').name]);
  });
});
