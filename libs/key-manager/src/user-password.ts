// Passwords of the people who log in to the gateway: Argon2id PHC strings (salt and cost inside), verified in
// constant time by the library. Separate from the master password: a user password unlocks a session, not keys.
import { hash, verify } from '@node-rs/argon2';
import { assertPasswordPolicy } from './password-policy';

/** Cheaper than the master key's KDF (logins are frequent), still memory-hard: 19 MiB, t=2 (OWASP's minimum). */
export interface UserPasswordCost {
  readonly memoryKiB: number;
  readonly iterations: number;
  readonly parallelism: number;
}

export const DEFAULT_USER_PASSWORD_COST: UserPasswordCost = { memoryKiB: 19_456, iterations: 2, parallelism: 1 };

/** Checks the password policy, then hashes. */
export async function hashUserPassword(password: string, cost: UserPasswordCost = DEFAULT_USER_PASSWORD_COST): Promise<string> {
  assertPasswordPolicy(password, 'The password');
  // Argon2id is 2 (@node-rs/argon2's Algorithm is an ambient const enum that isolated modules cannot read).
  return hash(password.normalize('NFC'), { algorithm: 2, memoryCost: cost.memoryKiB, timeCost: cost.iterations, parallelism: cost.parallelism });
}

/** False for a wrong password and for a stored value that is not an Argon2 PHC string. */
export async function verifyUserPassword(storedHash: string, password: string): Promise<boolean> {
  if (!storedHash.startsWith('$argon2')) return false;
  try {
    return await verify(storedHash, password.normalize('NFC'));
  } catch {
    return false;
  }
}

/** A hash to verify against when the user does not exist, so a missing user costs as much time as a wrong password. */
let decoy: Promise<string> | undefined;
export function decoyUserPasswordHash(): Promise<string> {
  decoy ??= hashUserPassword('Decoy-password-1!');
  return decoy;
}
