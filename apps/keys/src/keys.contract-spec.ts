// The keys app through its bus contract: the real app in this process behind a real CURVE proxy; test clients only
// send envelopes and read the envelopes that come back.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BusErrorCode, type IncomingMessage } from '@aico/bus';
import { nextValue, requestWhenRoutable, TestBus, type TestClient } from '@aico/bus/testing';
import { KeyPurpose, SealedPasswordContext, SecurityTopics, type KeyRotated, type KeysLocked, type KeysUnlocked, type PasswordChanged } from '@aico/contracts';
import { KeyManager, keychainAccount, OsKeychain } from '@aico/key-manager';
import { sealTo } from '@aico/keys';
import { runService, type RunningService } from '@aico/service';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { KeysAppModule } from './keys-app.module';

describe('keys app contract', () => {
  let environment: ServiceTestEnvironment;
  let bus: TestBus;
  let running: RunningService;
  let cli: TestClient;
  let unlocked: Promise<IncomingMessage>;
  let stopped = false;
  const realKeychain = process.env['AICO_TEST_SECRET_SERVICE'] === '1';
  const password = 'Tr0ubadour-and-sealed!';
  const newPassword = 'Second-password-42-ok';

  beforeAll(async () => {
    // Log files on, so the secret search at the end reads everything the service said.
    environment = await createServiceTestEnvironment('ipc', { AICO_LOG__LEVEL: 'info', AICO_LOG__FILE: 'true' });
    bus = await new TestBus({ transport: 'ipc', keys: environment.keys }).start();
    const env = { ...environment.env, AICO_BUS__PUBLISH_ENDPOINT: bus.publishEndpoint, AICO_BUS__SUBSCRIBE_ENDPOINT: bus.subscribeEndpoint };
    const supervisor = await bus.connected('supervisor');
    unlocked = nextValue<IncomingMessage>((deliver) => supervisor.subscribe(SecurityTopics.unlocked, deliver));
    running = await runService({ identity: 'keys', module: KeysAppModule, env, exitOnStop: false });
    cli = await bus.connected('cli');
  });

  it('announces that it holds the master key when it starts, naming where the key came from', async () => {
    const event = (await unlocked).payload as KeysUnlocked;
    expect(event.keySource).toBe(`key file ${environment.env['AICO_MASTER_KEY_FILE']}`);
    expect(event.unlockedAt).toBeDefined();
  });
  afterAll(async () => {
    if (realKeychain) await new OsKeychain().delete(keychainAccount(environment.dir)).catch(() => undefined);
    if (!stopped) await running.stop('test finished');
    await bus.stop();
    await environment.cleanup();
  });

  it('reports the key state without key material', async () => {
    const status = await requestWhenRoutable((timeoutMs) => cli.request(SecurityTopics.keysStatus, {}, { timeoutMs }));
    expect(status).toMatchObject({ setUp: false, keychainHoldsMasterKey: false, keySource: expect.stringContaining('key file') });
    expect(status.keychainReason).not.toBe('');
    expect(status.keyVersions.map((key) => [key.purpose, key.version])).toEqual([
      [KeyPurpose.DATABASE, 1],
      [KeyPurpose.FILE, 1],
      [KeyPurpose.TOKEN_SIGNING, 1],
      [KeyPurpose.BACKUP, 1],
    ]);
    const text = JSON.stringify(status, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    environment.keys.withMasterKey((master) => expect(text).not.toContain(master.toString('hex')));
  });

  it('rotates a purpose key, announces it for the owners to re-key, and keeps the new version', async () => {
    const watcher = await bus.connected('storage');
    const announced = nextValue<IncomingMessage>((deliver) => watcher.subscribe(SecurityTopics.rotated, deliver));
    await requestWhenRoutable((timeoutMs) => watcher.request(SecurityTopics.keysStatus, {}, { timeoutMs }));
    const rotated = await cli.request(SecurityTopics.rotate, { purpose: KeyPurpose.FILE, reason: 'scheduled' });
    expect(rotated).toMatchObject({ key: { purpose: KeyPurpose.FILE, version: 2 }, previousVersion: 1 });
    const event = (await announced).payload as KeyRotated;
    expect(event).toMatchObject({ key: { purpose: KeyPurpose.FILE, version: 2 }, previousVersion: 1, reason: 'scheduled' });
    const status = await cli.request(SecurityTopics.keysStatus, {});
    expect(status.keyVersions.find((key) => key.purpose === KeyPurpose.FILE)).toMatchObject({ version: 2, rotatedAt: expect.anything() });
  });

  it('answers a rotation without a purpose with a typed error, and refuses one from an identity that may not ask', async () => {
    await expect(cli.request(SecurityTopics.rotate, { purpose: KeyPurpose.UNSPECIFIED })).rejects.toMatchObject({
      code: 'KEYS_INVALID_PURPOSE',
      source: 'keys',
    });
    const gateway = await bus.connected('gateway');
    expect(() => gateway.request(SecurityTopics.rotate, { purpose: KeyPurpose.FILE })).toThrow(expect.objectContaining({ code: BusErrorCode.NotPermitted }));
  });

  it('locks: the master key leaves the OS keychain and the lock is announced', async () => {
    const watcher = await bus.connected('monitor');
    const announced = nextValue<IncomingMessage>((deliver) => watcher.subscribe(SecurityTopics.locked, deliver));
    await requestWhenRoutable((timeoutMs) => watcher.request(SecurityTopics.keysStatus, {}, { timeoutMs }));
    const response = await cli.request(SecurityTopics.lock, { reason: 'leaving the laptop' });
    expect(response.removed).toBe(false); // this data directory's key never was in the keychain
    expect(((await announced).payload as KeysLocked).reason).toBe('leaving the laptop');
  });

  describe('password operations, sealed to the keys service', () => {
    const keysPublicKey = () => environment.keys.curveKeyPair('keys').publicKey;
    const sealed = (secret: string, context: string) => sealTo(keysPublicKey(), Buffer.from(secret, 'utf8'), context);

    beforeAll(async () => {
      // `aico setup` wrapping the very master key the services run on (the key file of this environment).
      await environment.keys.withMasterKey((master) => new KeyManager({ dataDir: environment.dir }).setup(password, undefined, master));
    });

    it('unlocks with the right password: the key goes back into the keychain and the unlock is announced', async () => {
      const watcher = await bus.connected('supervisor');
      const announced = nextValue<IncomingMessage>((deliver) => watcher.subscribe(SecurityTopics.unlocked, deliver));
      await requestWhenRoutable((timeoutMs) => watcher.request(SecurityTopics.keysStatus, {}, { timeoutMs }));
      const response = await cli.request(SecurityTopics.unlock, { sealedPassword: sealed(password, SealedPasswordContext.unlock) });
      expect(response.keychainStored).toBe(realKeychain);
      if (!realKeychain) expect(response.keychainReason).not.toBe('');
      expect(((await announced).payload as KeysUnlocked).keySource).toBe('master password');
      const status = await cli.request(SecurityTopics.keysStatus, {});
      expect(status).toMatchObject({ setUp: true, keychainHoldsMasterKey: realKeychain });
    });

    it('refuses a wrong password with a clear error, and a box sealed to another identity or for another use', async () => {
      await expect(cli.request(SecurityTopics.unlock, { sealedPassword: sealed('Wrong-password-123', SealedPasswordContext.unlock) })).rejects.toMatchObject({
        code: 'KEYS_WRONG_PASSWORD',
        source: 'keys',
      });
      const toStorage = sealTo(environment.keys.curveKeyPair('storage').publicKey, Buffer.from(password), SealedPasswordContext.unlock);
      await expect(cli.request(SecurityTopics.unlock, { sealedPassword: toStorage })).rejects.toMatchObject({ code: 'SEALED_BOX_INVALID' });
      const forAnotherUse = sealed(password, SealedPasswordContext.newPassword);
      await expect(cli.request(SecurityTopics.unlock, { sealedPassword: forAnotherUse })).rejects.toMatchObject({
        code: 'SEALED_BOX_INVALID',
        message: expect.stringContaining('security.keys.unlock/password'),
      });
    });

    it('lets only the CLI, the gateway and the supervisor ask', async () => {
      const storage = await bus.connected('storage');
      expect(() => storage.request(SecurityTopics.unlock, { sealedPassword: sealed(password, SealedPasswordContext.unlock) })).toThrow(
        expect.objectContaining({ code: BusErrorCode.NotPermitted }),
      );
    });

    it('changes the password by re-wrapping: the new one unlocks, the old one no longer does', async () => {
      const watcher = await bus.connected('gateway');
      const announced = nextValue<IncomingMessage>((deliver) => watcher.subscribe(SecurityTopics.passwordChanged, deliver));
      await requestWhenRoutable((timeoutMs) => watcher.request(SecurityTopics.keysStatus, {}, { timeoutMs }));
      const swapped = {
        sealedCurrentPassword: sealed(password, SealedPasswordContext.newPassword),
        sealedNewPassword: sealed(newPassword, SealedPasswordContext.currentPassword),
      };
      await expect(watcher.request(SecurityTopics.changePassword, swapped)).rejects.toMatchObject({ code: 'SEALED_BOX_INVALID' });
      const weak = {
        sealedCurrentPassword: sealed(password, SealedPasswordContext.currentPassword),
        sealedNewPassword: sealed('short', SealedPasswordContext.newPassword),
      };
      await expect(watcher.request(SecurityTopics.changePassword, weak)).rejects.toMatchObject({ code: 'KEYS_WEAK_PASSWORD' });

      const response = await watcher.request(SecurityTopics.changePassword, {
        sealedCurrentPassword: sealed(password, SealedPasswordContext.currentPassword),
        sealedNewPassword: sealed(newPassword, SealedPasswordContext.newPassword),
      });
      expect(response.changedAt).toBeDefined();
      expect(((await announced).payload as PasswordChanged).requestedBy).toBe('gateway');
      await expect(cli.request(SecurityTopics.unlock, { sealedPassword: sealed(password, SealedPasswordContext.unlock) })).rejects.toMatchObject({
        code: 'KEYS_WRONG_PASSWORD',
      });
      await expect(cli.request(SecurityTopics.unlock, { sealedPassword: sealed(newPassword, SealedPasswordContext.unlock) })).resolves.toMatchObject({
        keychainStored: realKeychain,
      });
    });

    it('refuses a vault that wraps another master key than the one the system runs on', async () => {
      const other = join(environment.dir, 'other');
      await new KeyManager({ dataDir: other }).setup(newPassword, undefined, randomBytes(32));
      const manager = new KeyManager({ dataDir: environment.dir });
      const original = await readFile(manager.vaultPath);
      await writeFile(manager.vaultPath, await readFile(new KeyManager({ dataDir: other }).vaultPath));
      try {
        await expect(cli.request(SecurityTopics.unlock, { sealedPassword: sealed(newPassword, SealedPasswordContext.unlock) })).rejects.toMatchObject({
          code: 'KEYS_VAULT_MISMATCH',
        });
      } finally {
        await writeFile(manager.vaultPath, original);
      }
    });

    it('never writes a password or key bytes into its logs (read after a stop has flushed them)', async () => {
      stopped = true;
      await running.stop('reading the logs');
      const logDir = join(environment.dir, 'logs');
      const files = await readdir(logDir);
      const text = (await Promise.all(files.map((file) => readFile(join(logDir, file), 'utf8')))).join('\n');
      expect(text).toContain('Master password changed over the bus');
      expect(text).toContain('Unlock refused: wrong master password');
      for (const secret of [password, newPassword, 'Wrong-password-123']) expect(text).not.toContain(secret);
      environment.keys.withMasterKey((master) => {
        expect(text).not.toContain(master.toString('hex'));
        expect(text).not.toContain(master.toString('base64'));
      });
    });
  });
});
