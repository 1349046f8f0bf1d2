// The development profile's plaintext master key once a vault exists beside it. `aico setup` adopts it (so the data
// encrypted under it stays readable) and `aico unlock` may find it still there: it is removed as soon as the same key
// is in the OS keychain, where services then get it from. While the keychain cannot hold the key, the file is the
// only way services start, so it stays — and `aico doctor` fails until it is gone.
import type { DevelopmentKeyProvider, KeyRing } from '@aico/keys';
import type { CliContext } from './cli-context';
import { shellQuote } from './doctor/doctor-check';

/** What to do about a plaintext key beside the vault; shared with `aico doctor`'s check. */
export function plaintextKeyFix(path: string): string {
  return `Run "aico unlock": once the master key is in the OS keychain it removes the file. Without a keychain, move the file out of the data directory (mv ${shellQuote(path)} ~/.config/aico-master.key) and point AICO_MASTER_KEY_FILE at it.`;
}

export async function retireAdoptedKey(cli: CliContext, development: DevelopmentKeyProvider, keys: KeyRing, inKeychain: boolean): Promise<void> {
  if (!inKeychain) {
    cli.out(
      `The development key ${development.path} stays: without the OS keychain it is where services get the master key from, and while it is there the master password protects nothing. ${plaintextKeyFix(development.path)}`,
    );
    return;
  }
  let outcome: Awaited<ReturnType<DevelopmentKeyProvider['retire']>>;
  try {
    outcome = await keys.withMasterKey((masterKey) => development.retire(masterKey));
  } catch (error) {
    cli.out(
      `Could not remove the plaintext development key ${development.path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): delete it yourself (shred -u ${shellQuote(development.path)}); the master key is in the vault and the OS keychain.`,
    );
    return;
  }
  switch (outcome) {
    case 'removed':
      cli.out(`Removed the plaintext development key ${development.path} (overwritten, then deleted): the master key is in the vault and the OS keychain.`);
      return;
    case 'absent':
      return;
    case 'different':
      cli.out(
        `Left ${development.path} in place: it holds another key than the vault, and data that services wrote with it can only be read with it. "aico doctor" fails while it is there.`,
      );
      return;
  }
}
