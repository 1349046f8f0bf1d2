import type { SecretStore } from '../secret-store';

/** A keychain at the edge of unit tests; the OS keychain itself is tested against a real Secret Service. */
export class MemoryKeychain implements SecretStore {
  readonly description = 'test keychain';
  readonly entries = new Map<string, string>();

  async get(account: string): Promise<string | undefined> {
    return this.entries.get(account);
  }

  async set(account: string, secret: string): Promise<void> {
    this.entries.set(account, secret);
  }

  async delete(account: string): Promise<void> {
    this.entries.delete(account);
  }
}
