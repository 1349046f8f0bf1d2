// A development key beside a vault: the master key lies in plaintext next to its password-wrapped copy, so the
// master password protects nothing (anyone who can read the data directory, or a copy of it, has the key).
// `aico setup` removes the file once the key is in the OS keychain; this check catches one left behind.
import { join } from 'node:path';
import { VAULT_FILE } from '@aico/key-manager';
import { DevelopmentKeyProvider } from '@aico/keys';
import { plaintextKeyFix } from '../development-key';
import { checkResult, type CheckResult } from './doctor-check';

export async function checkPlaintextKey(dataDir: string, pathExists: (path: string) => Promise<boolean>): Promise<CheckResult> {
  const vault = join(dataDir, VAULT_FILE);
  const { path } = new DevelopmentKeyProvider(dataDir);
  const [setUp, plaintext] = [await pathExists(vault), await pathExists(path)];
  if (setUp && plaintext) {
    return checkResult(
      'plaintext-key',
      'fail',
      `A plaintext master key ${path} sits beside the vault ${vault}: whoever can read the data directory (or a copy of it) has the key, and the master password protects nothing.`,
      plaintextKeyFix(path),
    );
  }
  if (plaintext)
    return checkResult('plaintext-key', 'ok', 'Only the development key, and no vault: aico is not set up with a master password (see master-key).');
  return checkResult('plaintext-key', 'ok', 'No plaintext master key in the data directory.');
}
