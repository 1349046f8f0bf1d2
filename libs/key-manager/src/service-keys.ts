// How a service gets its keys at start, with no password (docs/architecture.md §5): the OS keychain first; else the key file
// named by AICO_MASTER_KEY_FILE; else, in the development profile only, the generated development key; else a
// clear refusal that names the keychain's reason and the ways out. Never a silent plaintext key.
import { KeyRing, selectMasterKeyProvider, type MasterKeySelection } from '@aico/keys';
import { KeyManager } from './key-manager';
import type { SecretStore } from './secret-store';

export interface ServiceKeys {
  readonly keys: KeyRing;
  /** Where the key came from (never the key). */
  readonly source: string;
  readonly developmentOnly: boolean;
  /** Why the keychain was not used, when it was not. */
  readonly keychainReason?: string;
}

export async function loadServiceKeys(selection: MasterKeySelection & { readonly secretStore?: SecretStore | undefined }): Promise<ServiceKeys> {
  const fromKeychain = await new KeyManager({ dataDir: selection.dataDir, secretStore: selection.secretStore }).keysFromKeychain();
  if (fromKeychain.keys) return { keys: fromKeychain.keys, source: `${fromKeychain.keys.source} entry for ${selection.dataDir}`, developmentOnly: false };
  const keychainReason = fromKeychain.reason;
  const provider = selectMasterKeyProvider(selection, keychainReason);
  const masterKey = await provider.load();
  try {
    return { keys: new KeyRing(masterKey, provider.description), source: provider.description, developmentOnly: provider.developmentOnly, keychainReason };
  } finally {
    masterKey.fill(0);
  }
}
