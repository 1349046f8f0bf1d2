// The key service's work: report key state, rotate purpose-key versions (announcing them so owners re-key), and
// lock (take the master key out of the OS keychain). It never sends key material or passwords over the bus.
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { BusClient } from '@aico/bus';
import type { BaseConfig } from '@aico/config';
import { SecurityTopics, type KeyPurpose as WirePurpose, type KeysStatusResponseSchema, type LockResponseSchema, type RotateKeyResponseSchema } from '@aico/contracts';
import { KEY_PURPOSES, KeyManager, KeyVersionStore, OsKeychain, keychainAccount } from '@aico/key-manager';
import { KeyRing } from '@aico/keys';
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
}
