// The keys app through its bus contract: the real app in this process behind a real CURVE proxy; test clients only
// send envelopes and read the envelopes that come back.
import { BusErrorCode, nextValue, requestWhenRoutable, TestBus, type IncomingMessage, type TestClient } from '@aico/bus';
import { KeyPurpose, SecurityTopics, type KeyRotated, type KeysLocked, type KeysUnlocked } from '@aico/contracts';
import { createServiceTestEnvironment, runService, type RunningService, type ServiceTestEnvironment } from '@aico/service';
import { KeysAppModule } from './keys-app.module';

describe('keys app contract', () => {
  let environment: ServiceTestEnvironment;
  let bus: TestBus;
  let running: RunningService;
  let cli: TestClient;
  let unlocked: Promise<IncomingMessage>;

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('ipc', { AICO_LOG__LEVEL: 'warn', AICO_LOG__FILE: 'false' });
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
    await running.stop('test finished');
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
    await expect(cli.request(SecurityTopics.rotate, { purpose: KeyPurpose.UNSPECIFIED })).rejects.toMatchObject({ code: 'KEYS_INVALID_PURPOSE', source: 'keys' });
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
});
