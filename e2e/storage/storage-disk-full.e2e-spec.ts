// A full disk, played by a file-size limit on the real storage process: a write that does not fit gets a clear
// error, the process stays up, the database stays consistent, and everything acknowledged before is still there
// (also after a restart without the limit).
import { createTestClient, requestWhenRoutable, type BusClient } from '@aico/bus';
import { StorageTopics } from '@aico/contracts';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service';
import { StorageClient } from '@aico/storage-client';
import { ServiceProcess } from '../support/service-process';

const BUS = 'dist/apps/bus/apps/bus/src/main.js';
const STORAGE = 'dist/apps/storage/apps/storage/src/main.js';

describe('storage on a full disk', () => {
  let environment: ServiceTestEnvironment;
  const processes: ServiceProcess[] = [];
  let client: BusClient;

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('tcp', { AICO_LOG__LEVEL: 'info', AICO_LOG__FILE: 'false' });
  });
  afterAll(async () => {
    await client?.close({ drainTimeoutMs: 0 });
    for (const child of processes) child.signal('SIGKILL');
    await environment.cleanup();
  });

  it('refuses the write that does not fit with a clear error, stays up and consistent, and loses nothing acknowledged', async () => {
    const bus = new ServiceProcess('bus', BUS, [], environment.env);
    processes.push(bus);
    await bus.waitForMessage('bus ready');
    let storage = new ServiceProcess('storage', STORAGE, [], environment.env, { fileSizeLimitKiB: 2048 });
    processes.push(storage);
    await storage.waitForMessage('storage ready');
    client = createTestClient('scheduler', environment.keys, environment.endpoints);
    await client.connect();
    const store = new StorageClient(client, { attemptTimeoutMs: 2_000 });
    await requestWhenRoutable((timeoutMs) => client.request(StorageTopics.databaseCheck, {}, { timeoutMs }));

    const value = Buffer.alloc(200 * 1024, 7);
    const acknowledged: string[] = [];
    let failure: unknown;
    for (let i = 0; i < 40 && !failure; i++) {
      try {
        await store.putState('fill', `k${i}`, value);
        acknowledged.push(`k${i}`);
      } catch (error) {
        failure = error;
      }
    }
    expect(failure).toMatchObject({ code: expect.stringMatching(/^STORAGE_(DISK_FULL|IO)$/), message: expect.stringMatching(/full|file-size limit/), source: 'storage' });
    expect(acknowledged.length).toBeGreaterThan(3);

    // Still up, still answering, still consistent, and the acknowledged writes are readable.
    expect(await store.checkDatabase()).toMatchObject({ ok: true, problems: [] });
    for (const key of acknowledged) expect((await store.getState('fill', key)).found).toBe(true);
    expect(storage.lines.some((line) => line.level >= 60)).toBe(false);

    // Restarted without the limit: everything acknowledged is there, and writing works again.
    storage.signal('SIGTERM');
    await storage.exited;
    storage = new ServiceProcess('storage', STORAGE, [], environment.env);
    processes.push(storage);
    await storage.waitForMessage('storage ready');
    const listed = await store.listState({ namespace: 'fill', keysOnly: true, limit: 1000 });
    expect(listed.entries.map((entry) => entry.key).sort()).toEqual([...acknowledged].sort());
    await expect(store.putState('fill', 'after', value)).resolves.toMatchObject({ version: 1n });
  });
});
