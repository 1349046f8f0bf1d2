import { decoyUserPasswordHash, hashUserPassword, verifyUserPassword } from './user-password';

describe('user passwords', () => {
  it('hash with Argon2id into a PHC string that verifies only the right password', async () => {
    const stored = await hashUserPassword('Ada-Lovelace-1815');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(stored).not.toContain('Ada-Lovelace-1815');
    await expect(verifyUserPassword(stored, 'Ada-Lovelace-1815')).resolves.toBe(true);
    await expect(verifyUserPassword(stored, 'Ada-Lovelace-1816')).resolves.toBe(false);
  });

  it('refuse weak passwords and never verify against a value that is not a hash', async () => {
    await expect(hashUserPassword('short')).rejects.toMatchObject({ code: 'KEYS_WEAK_PASSWORD' });
    await expect(verifyUserPassword('', 'anything')).resolves.toBe(false);
    await expect(verifyUserPassword('$argon2id$garbage', 'anything')).resolves.toBe(false);
    await expect(verifyUserPassword(await decoyUserPasswordHash(), 'anything-else-1A')).resolves.toBe(false);
  });
});
