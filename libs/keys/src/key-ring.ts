// Holds the master key in memory for one process and hands out derived keys. It never prints the key: inspection,
// JSON and string conversion show only where the key came from.
import { inspect } from 'node:util';
import { assertMasterKey, deriveCurveKeyPair, derivePurposeKey, type CurveKeyPair, type KeyPurpose } from './purpose-keys';

export class KeyRing {
  readonly #master: Buffer;

  constructor(
    masterKey: Uint8Array,
    /** Where the key came from, e.g. "key file /run/credentials/aico/master.key". */
    readonly source: string,
  ) {
    assertMasterKey(masterKey);
    this.#master = Buffer.from(masterKey);
  }

  purposeKey(purpose: KeyPurpose, version = 1): Buffer {
    return derivePurposeKey(this.#master, purpose, version);
  }

  curveKeyPair(identity: string, version = 1): CurveKeyPair {
    return deriveCurveKeyPair(this.#master, identity, version);
  }

  /** Lends the raw master key to `fn` (the key manager storing it in the keychain); do not keep a copy. */
  withMasterKey<T>(fn: (masterKey: Buffer) => T): T {
    return fn(this.#master);
  }

  /** Overwrites the key in memory; the ring is unusable afterwards. */
  destroy(): void {
    this.#master.fill(0);
  }

  toJSON(): { source: string } {
    return { source: this.source };
  }

  toString(): string {
    return `KeyRing(${this.source})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
