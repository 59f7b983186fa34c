import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentSecret } from '../../electron/engine/pra/recent-secret.ts';

describe('RecentSecret: a keychain secret read once in a while', () => {
  it('reads once, then again when the read is as old as its interval', async () => {
    let clock = 1_000;
    let reads = 0;
    const secret = new RecentSecret(async () => `s${++reads}`, 60_000, () => clock);
    assert.equal(await secret.get(), 's1');
    clock += 59_999;
    assert.equal(await secret.get(), 's1', 'still recent');
    assert.equal(reads, 1);
    clock += 1;
    assert.equal(await secret.get(), 's2', 'read again: an edited secret is used from then on');
    assert.equal(await secret.get(), 's2');
    assert.equal(reads, 2);
  });

  it('shares one read between callers that ask while it is in flight', async () => {
    let reads = 0;
    let answer!: (value: string) => void;
    const secret = new RecentSecret(() => {
      reads++;
      return new Promise<string>((resolve) => (answer = resolve));
    });
    const both = Promise.all([secret.get(), secret.get()]);
    answer('x');
    assert.deepEqual(await both, ['x', 'x']);
    assert.equal(reads, 1);
  });

  it('does not keep a failed read, whether it rejects or throws', async () => {
    let reads = 0;
    let failure: 'reject' | 'throw' | null = 'reject';
    const secret = new RecentSecret(() => {
      reads++;
      if (failure === 'throw') throw new Error('no keychain');
      return failure === 'reject' ? Promise.reject(new Error('the keychain is locked')) : Promise.resolve('ok');
    });
    await assert.rejects(secret.get(), /keychain is locked/);
    failure = 'throw';
    await assert.rejects(secret.get(), /no keychain/, 'a read that throws is a rejection, not an exception');
    failure = null;
    assert.equal(await secret.get(), 'ok');
    assert.equal(await secret.get(), 'ok');
    assert.equal(reads, 3);
  });

  it('a failed read nobody asked for is not an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      void new RecentSecret(() => Promise.reject(new Error('locked'))).get();
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
