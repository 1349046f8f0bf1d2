// The key service's work: report key state, rotate purpose-key versions (announcing them so owners re-key), lock
// (take the master key out of the OS keychain), and the password operations that reach it sealed over the bus:
// unlock (verify, put the key back into the keychain) and change password (re-wrap). It never sends key material.
// Setup is not a bus operation: before setup there is no master key, hence no CURVE keys and no bus (`aico setup`).
import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { BusClient } from '@aico/bus';
import type { BaseConfig } from '@aico/config';
import {
  SealedPasswordContext,
  SecurityTopics,
  type ChangePasswordResponseSchema,
  type KeyPurpose as WirePurpose,
  type KeysStatusResponseSchema,
  type LockResponseSchema,
  type RotateKeyResponseSchema,
  type UnlockResponseSchema,
} from '@aico/contracts';
import { KEY_PURPOSES, KeyManager, KeyManagerError, KeyManagerErrorCode, KeyVersionStore, OsKeychain, keychainAccount } from '@aico/key-manager';
import { KeyRing, openSealed } from '@aico/keys';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { fromWire, toWire } from './key-purposes';

@Injectable()
export class KeysService implements OnApplicationBootstrap {
  private readonly keyManager: KeyManager;
  private readonly versions: KeyVersionStore;
  private readonly keychain = new OsKeychain();

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: BaseConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly keys: KeyRing,
    private readonly bus: BusClient,
  ) {
    this.keyManager = new KeyManager({ dataDir: config.dataDir, secretStore: this.keychain, logger });
    this.versions = new KeyVersionStore(config.dataDir);
  }

  /** Runs before the bus connects; the client holds the announcement until it is routable. */
  onApplicationBootstrap(): void {
    this.bus.publish(SecurityTopics.unlocked, { keySource: this.keys.source, unlockedAt: timestampFromDate(new Date()) }).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'Could not announce security.keys.unlocked');
    });
  }

  async status(): Promise<MessageInitShape<typeof KeysStatusResponseSchema>> {
    const [setUp, keychain, versions] = await Promise.all([this.keyManager.isSetUp(), this.keyManager.keysFromKeychain(), this.versions.read()]);
    keychain.keys?.destroy();
    return {
      setUp,
      keychainHoldsMasterKey: keychain.keys !== undefined,
      keychainReason: keychain.keys ? '' : keychain.reason,
      keySource: this.keys.source,
      keyVersions: KEY_PURPOSES.map((purpose) => ({
        purpose: toWire(purpose),
        version: versions[purpose].version,
        ...(versions[purpose].rotatedAt ? { rotatedAt: timestampFromDate(new Date(versions[purpose].rotatedAt)) } : {}),
      })),
    };
  }

  async rotate(wirePurpose: WirePurpose, reason: string, requestedBy: string): Promise<MessageInitShape<typeof RotateKeyResponseSchema>> {
    const purpose = fromWire(wirePurpose);
    const { previous, current } = await this.versions.rotate(purpose);
    const key = { purpose: wirePurpose, version: current.version, rotatedAt: timestampFromDate(new Date(current.rotatedAt)) };
    this.logger.info({ purpose, previous, version: current.version, requestedBy, reason }, 'Purpose key rotated');
    await this.bus.publish(SecurityTopics.rotated, { key, previousVersion: previous, reason });
    return { key, previousVersion: previous };
  }

  async lock(reason: string, requestedBy: string): Promise<MessageInitShape<typeof LockResponseSchema>> {
    const account = keychainAccount(this.config.dataDir);
    const held = (await this.keychain.get(account).catch(() => undefined)) !== undefined;
    if (held) await this.keychain.delete(account);
    this.logger.info({ removed: held, requestedBy, reason }, 'Keys locked: the master key is out of the OS keychain until "aico unlock"');
    await this.bus.publish(SecurityTopics.locked, { reason, lockedAt: timestampFromDate(new Date()) });
    return { removed: held };
  }

  async unlock(sealedPassword: Uint8Array, requestedBy: string): Promise<MessageInitShape<typeof UnlockResponseSchema>> {
    const unlocked = await this.withOpenedPassword(sealedPassword, SealedPasswordContext.unlock, (password) => this.keyManager.unlock(password));
    try {
      this.assertSameMasterKey(unlocked);
      const keychain = await this.keyManager.storeKeysInKeychain(unlocked);
      this.logger.info({ requestedBy, keychainStored: keychain.stored }, 'Unlocked over the bus with the master password');
      await this.bus.publish(SecurityTopics.unlocked, { keySource: 'master password', unlockedAt: timestampFromDate(new Date()) });
      return keychain.stored ? { keychainStored: true } : { keychainStored: false, keychainReason: keychain.reason };
    } finally {
      unlocked.destroy();
    }
  }

  async changePassword(sealedCurrent: Uint8Array, sealedNew: Uint8Array, requestedBy: string): Promise<MessageInitShape<typeof ChangePasswordResponseSchema>> {
    await this.withOpenedPassword(sealedCurrent, SealedPasswordContext.currentPassword, (current) =>
      this.withOpenedPassword(sealedNew, SealedPasswordContext.newPassword, (next) => this.keyManager.changePassword(current, next)),
    );
    const changedAt = timestampFromDate(new Date());
    this.logger.info({ requestedBy }, 'Master password changed over the bus');
    await this.bus.publish(SecurityTopics.passwordChanged, { requestedBy, changedAt });
    return { changedAt };
  }

  /** Opens a sealed password, lends it to `fn` and wipes the bytes afterwards (the string copy is unavoidable). */
  private async withOpenedPassword<T>(sealed: Uint8Array, context: string, fn: (password: string) => Promise<T>): Promise<T> {
    const bytes = openSealed(this.keys.curveKeyPair('keys').secretKey, sealed, context);
    try {
      return await fn(bytes.toString('utf8'));
    } finally {
      bytes.fill(0);
    }
  }

  /** The vault must wrap the key this system runs on; another one means the data directory was swapped under us. */
  private assertSameMasterKey(unlocked: KeyRing): void {
    const same = this.keys.withMasterKey((running) => unlocked.withMasterKey((candidate) => timingSafeEqual(running, candidate)));
    if (!same) {
      throw new KeyManagerError(
        KeyManagerErrorCode.VaultMismatch,
        `The vault in ${this.keyManager.vaultPath} wraps a different master key from the one this system runs on; nothing was changed.`,
      );
    }
  }
}
