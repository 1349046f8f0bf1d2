// The first run's setup: only from this machine, only while no user exists, and two at once make one admin.
import { BusErrorCode } from '@aico/bus';
import type { StorageClient } from '@aico/storage-client';
import { newAuthTestService } from './auth.test-helpers';
import { FirstRunSetup, SETUP_CLAIM } from './first-run-setup';

const ADMIN = { username: 'Ada', password: 'first-admin-2026', displayName: 'Ada L.' };

function setup() {
  const auth = newAuthTestService();
  const firstRun = new FirstRunSetup(auth.storage as unknown as StorageClient, auth.sut, auth.hashing);
  return { ...auth, firstRun };
}

describe('FirstRunSetup', () => {
  it('is needed while no user exists, makes the first admin from a loopback address and logs them in, then never again', async () => {
    const { firstRun, storage, sut } = setup();
    await expect(firstRun.needed()).resolves.toBe(true);
    const tokens = await firstRun.createFirstAdmin(ADMIN, '127.0.0.1');
    expect(tokens).toMatchObject({ tokenType: 'Bearer', user: { id: 'ada', username: 'Ada', role: 'admin', displayName: 'Ada L.' } });
    await expect(sut.authenticate(tokens.accessToken)).resolves.toMatchObject({ sub: 'ada', role: 'admin' });
    expect(storage.users.get('ada')).toMatchObject({ role: 'admin', disabled: false, passwordHash: `hash:${ADMIN.password}` });
    await expect(firstRun.needed()).resolves.toBe(false);
    await expect(firstRun.createFirstAdmin({ ...ADMIN, username: 'mallory' }, '127.0.0.1')).rejects.toMatchObject({ status: 409, code: 'AUTH_SETUP_DONE' });
    expect([...storage.users.keys()]).toEqual(['ada']);
  });

  it('refuses any address but loopback (IPv4, IPv6, IPv4-mapped) with 403 AUTH_SETUP_LOCAL_ONLY', async () => {
    const { firstRun, storage } = setup();
    for (const address of ['192.168.1.20', '10.0.0.1', '::ffff:192.168.1.20', 'fe80::1', '2001:db8::1', undefined]) {
      await expect(firstRun.createFirstAdmin(ADMIN, address)).rejects.toMatchObject({ status: 403, code: 'AUTH_SETUP_LOCAL_ONLY' });
    }
    expect(storage.users.size).toBe(0);
    await expect(firstRun.createFirstAdmin(ADMIN, '::1')).resolves.toMatchObject({ user: { role: 'admin' } });
  });

  it('accepts the IPv4-mapped loopback address', async () => {
    const { firstRun } = setup();
    await expect(firstRun.createFirstAdmin(ADMIN, '::ffff:127.0.0.1')).resolves.toMatchObject({ user: { id: 'ada' } });
  });

  it('is not needed, and refused with 409, once any user exists (one made with "aico users add")', async () => {
    const { firstRun, addUser, storage } = setup();
    addUser('bob', 'pw', 'user');
    await expect(firstRun.needed()).resolves.toBe(false);
    await expect(firstRun.createFirstAdmin(ADMIN, '127.0.0.1')).rejects.toMatchObject({ status: 409, code: 'AUTH_SETUP_DONE' });
    expect(storage.users.has('ada')).toBe(false);
  });

  it('makes exactly one admin of two setups at once', async () => {
    const { firstRun, storage } = setup();
    const results = await Promise.allSettled([
      firstRun.createFirstAdmin(ADMIN, '127.0.0.1'),
      firstRun.createFirstAdmin({ ...ADMIN, username: 'bob' }, '127.0.0.1'),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((result) => result.status === 'rejected')).toMatchObject({ reason: { status: 409, code: 'AUTH_SETUP_DONE' } });
    expect(storage.users.size).toBe(1);
  });

  it('makes one admin when two gateways (two instances) set up at once: the claim in storage settles it', async () => {
    const { firstRun, storage, sut, hashing } = setup();
    const other = new FirstRunSetup(storage as unknown as StorageClient, sut, hashing);
    const results = await Promise.allSettled([
      firstRun.createFirstAdmin(ADMIN, '127.0.0.1'),
      other.createFirstAdmin({ ...ADMIN, username: 'bob' }, '127.0.0.1'),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(storage.users.size).toBe(1);
  });

  it('gives the claim back when the admin could not be written, so the person can try again', async () => {
    const { firstRun, storage } = setup();
    const putRecord = storage.putRecord.bind(storage);
    storage.putRecord = () => Promise.reject(Object.assign(new Error('storage went away'), { code: BusErrorCode.DeadlineExceeded }));
    await expect(firstRun.createFirstAdmin(ADMIN, '127.0.0.1')).rejects.toMatchObject({ code: BusErrorCode.DeadlineExceeded });
    expect(storage.state.has(`${SETUP_CLAIM.namespace}/${SETUP_CLAIM.key}`)).toBe(false);
    storage.putRecord = putRecord;
    await expect(firstRun.createFirstAdmin(ADMIN, '127.0.0.1')).resolves.toMatchObject({ user: { role: 'admin' } });
  });
});
