import type { StorageClient } from '@aico/storage-client';
import { newAuthTestService } from '../auth/auth.test-helpers';
import { UsersService } from './users.service';

const PASSWORD = 'Right-password-2026!';

function setup() {
  const auth = newAuthTestService();
  // The in-memory storage answers the record calls UsersService makes.
  const users = new UsersService(auth.storage as unknown as StorageClient, auth.sut, auth.hashing);
  auth.addUser('ada', PASSWORD, 'admin');
  auth.addUser('bob', PASSWORD, 'user');
  return { ...auth, users };
}

describe('UsersService: the last enabled administrator', () => {
  it('cannot be demoted, disabled or deleted, by themselves or anyone (409 LAST_ADMIN)', async () => {
    const { users, storage } = setup();
    await expect(users.update('ada', { role: 'user' })).rejects.toMatchObject({
      status: 409,
      code: 'LAST_ADMIN',
      message: expect.stringContaining('cannot be demoted'),
    });
    await expect(users.update('ada', { disabled: true })).rejects.toMatchObject({
      status: 409,
      code: 'LAST_ADMIN',
      message: expect.stringContaining('cannot be disabled'),
    });
    await expect(users.remove('ada')).rejects.toMatchObject({ status: 409, code: 'LAST_ADMIN', message: expect.stringContaining('cannot be deleted') });
    expect(storage.users.get('ada')).toMatchObject({ role: 'admin', disabled: false });
    // Other changes to the last admin are fine.
    await expect(users.update('ada', { displayName: 'Ada L.' })).resolves.toMatchObject({ displayName: 'Ada L.', role: 'admin' });
  });

  it('can step down once another enabled administrator exists; a disabled admin does not count', async () => {
    const { users, addUser } = setup();
    addUser('carol', PASSWORD, 'admin', true);
    await expect(users.update('ada', { role: 'user' })).rejects.toMatchObject({ code: 'LAST_ADMIN' });
    await users.update('carol', { disabled: false });
    await expect(users.update('ada', { role: 'user' })).resolves.toMatchObject({ role: 'user' });
    await expect(users.remove('carol')).rejects.toMatchObject({ code: 'LAST_ADMIN' });
  });

  it('lets only one of two admins demoting each other at once succeed', async () => {
    const { users, addUser, storage } = setup();
    addUser('carol', PASSWORD, 'admin');
    const results = await Promise.allSettled([users.update('ada', { role: 'user' }), users.update('carol', { role: 'user' })]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect([...storage.users.values()].filter((user) => user.role === 'admin' && !user.disabled)).toHaveLength(1);
  });

  it('changes and deletes other users, ending their sessions', async () => {
    const { users, sut, storage } = setup();
    const bob = await sut.login('bob', PASSWORD, 'web');
    await expect(users.update('bob', { role: 'guest' })).resolves.toMatchObject({ role: 'guest' });
    await expect(sut.authenticate(bob.accessToken)).rejects.toMatchObject({ code: 'SESSION_ENDED' });
    await users.remove('bob');
    expect(storage.users.has('bob')).toBe(false);
    await expect(users.remove('bob')).rejects.toMatchObject({ status: 404 });
  });
});
