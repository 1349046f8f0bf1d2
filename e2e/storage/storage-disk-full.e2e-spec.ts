// A full disk, played by a file-size limit on the real storage process, and (where a tmpfs can be mounted) a real
// small file system filled up: a write that does not fit gets a clear error, the process stays up (also while its
// bus history and its log files cannot be written), the database stays consistent, everything acknowledged before
// is still there, bus history gives way before acknowledged writes do, and all works again once space is freed.
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { type BusClient } from '@aico/bus';
import { createTestClient, requestWhenRoutable } from '@aico/bus/testing';
import { LogLevel, StorageTopics, SystemTopics } from '@aico/contracts';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { StorageClient } from '@aico/storage-client';
import { ServiceProcess } from '../support/service-process';
import { eventually } from '../support/system-bus';
import { Tmpfs } from '../support/tmpfs';

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
    expect(failure).toMatchObject({
      code: expect.stringMatching(/^STORAGE_(DISK_FULL|IO)$/),
      message: expect.stringMatching(/full|file-size limit/),
      source: 'storage',
    });
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

describe('storage on a real full file system (tmpfs)', () => {
  let environment: ServiceTestEnvironment;
  let mounted: { tmpfs: Tmpfs } | { refused: string };
  const processes: ServiceProcess[] = [];
  let client: BusClient;
  let store: StorageClient;
  let load: NodeJS.Timeout | undefined;
  const value = Buffer.alloc(200 * 1024, 7);

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('tcp', { AICO_LOG__LEVEL: 'info', AICO_LOG__FILE: 'false' });
    mounted = await Tmpfs.mount(48);
    process.stdout.write(
      `${JSON.stringify('tmpfs' in mounted ? { diskFullVariant: 'tmpfs' } : { diskFullVariant: 'rlimit-only', tmpfsRefused: mounted.refused })}\n`,
    );
    if (!('tmpfs' in mounted)) return;
    const bus = new ServiceProcess('bus', BUS, [], environment.env);
    processes.push(bus);
    await bus.waitForMessage('bus ready');
    client = createTestClient('scheduler', environment.keys, environment.endpoints);
    await client.connect();
    store = new StorageClient(client, { attemptTimeoutMs: 5_000 });
    // Bus history keeps coming in all along: log entries of another service.
    let sent = 0;
    load = setInterval(
      () =>
        void client
          .publish(SystemTopics.logEntry, {
            service: 'load',
            level: LogLevel.INFO,
            message: `load ${sent++}`,
            timestamp: timestampFromMs(Date.now()),
            fieldsJson: JSON.stringify({ pad: 'p'.repeat(2048) }),
          })
          .catch(() => undefined),
      10,
    );
  }, 60_000);
  afterAll(async () => {
    clearInterval(load);
    await client?.close({ drainTimeoutMs: 0 });
    for (const child of processes) child.signal('SIGKILL');
    await Promise.all(processes.map((child) => child.exited));
    if ('tmpfs' in mounted) await mounted.tmpfs.unmount();
    await environment.cleanup();
  });

  /** Storage with its data directory on the small file system; its log files there too, or beside the test's. */
  const startStorage = async (options: { reserveBytes: number; logFilesOnFullDisk: boolean }) => {
    const tmpfs = (mounted as { tmpfs: Tmpfs }).tmpfs;
    const env = {
      ...environment.env,
      AICO_DATA_DIR: tmpfs.dir,
      AICO_LOG__FILE: 'true',
      ...(options.logFilesOnFullDisk ? {} : { AICO_LOG__DIR: `${environment.dir}/logs` }),
      AICO_STORAGE__HISTORY_FLUSH_MS: '50',
      AICO_STORAGE__HISTORY_MIN_FREE_DISK_BYTES: String(options.reserveBytes),
    };
    const child = new ServiceProcess('storage', STORAGE, [], env);
    processes.push(child);
    let exit: unknown;
    void child.exited.then((outcome) => (exit = outcome));
    await child.waitForMessage('storage ready', 60_000);
    await requestWhenRoutable((timeoutMs) => client.request(StorageTopics.databaseCheck, {}, { timeoutMs }));
    /** Fails with what happened when the process is gone (a storage client would only time out). */
    const alive = () => {
      if (exit !== undefined)
        throw new Error(
          `storage exited (${JSON.stringify(exit)}); its last lines: ${child.lines
            .slice(-3)
            .map((line) => line.msg)
            .join(' | ')}`,
        );
    };
    return { child, alive };
  };
  const recordedAgain = (marker: string, alive: () => void) =>
    eventually(async () => {
      alive();
      await client.publish(SystemTopics.logEntry, { service: 'marker', level: LogLevel.INFO, message: marker, timestamp: timestampFromMs(Date.now()) });
      return (await store.queryLogs({ service: 'marker', contains: marker, limit: 1 })).entries[0];
    }, `the marker "${marker}" recorded`);
  const putUntilRefused = async (namespace: string, acknowledged: string[]) => {
    for (let i = 0; i < 500; i++) {
      try {
        await store.putState(namespace, `full${i}`, value);
        acknowledged.push(`full${i}`);
      } catch (error) {
        return error;
      }
    }
    return undefined;
  };

  it('answers STORAGE_DISK_FULL while its bus history fails, stays up, gives history up first with a reserve, and recovers when space is freed', async () => {
    if (!('tmpfs' in mounted)) return; // the file-size-limit variant above ran instead
    const tmpfs = mounted.tmpfs;
    let { child: storage, alive } = await startStorage({ reserveBytes: 0, logFilesOnFullDisk: false });
    const acknowledged: string[] = [];
    for (let i = 0; i < 5; i++) {
      await store.putState('fill', `before${i}`, value);
      acknowledged.push(`before${i}`);
    }

    // 1. No reserve: the disk fills up under history and state alike.
    const since = storage.lines.length;
    const filler = await tmpfs.fill();
    expect(await putUntilRefused('fill', acknowledged)).toMatchObject({
      code: 'STORAGE_DISK_FULL',
      message: expect.stringContaining('is full'),
      source: 'storage',
    });
    // Its history batches fail too, counted.
    await eventually(async () => (alive(), (await store.checkDatabase()).historyDropped > 0n ? true : undefined), 'history dropped and counted');
    // Still up and answering, consistent, everything acknowledged readable; failures logged once each.
    expect(await store.checkDatabase()).toMatchObject({ ok: true, problems: [] });
    for (const key of acknowledged) expect((await store.getState('fill', key)).found).toBe(true);
    for (let i = 0; i < 20; i++) await expect(store.putState('fill', `refused${i}`, value)).rejects.toMatchObject({ code: 'STORAGE_DISK_FULL' });
    // Twenty refused writes and many dropped history batches, a line or two in the log (not one per failure: the log
    // may be on the same full disk). More than one only if a small batch happened to fit in between.
    const linesOf = (msg: string) => storage.lines.slice(since).filter((line) => line.msg === msg).length;
    expect(linesOf('Bus history could not be written; batches are dropped and counted until it works again')).toBeGreaterThanOrEqual(1);
    expect(linesOf('Bus history could not be written; batches are dropped and counted until it works again')).toBeLessThanOrEqual(3);
    expect(linesOf('A write transaction failed; none of its writes was applied')).toBeGreaterThanOrEqual(1);
    expect(linesOf('A write transaction failed; none of its writes was applied')).toBeLessThanOrEqual(3);
    expect(storage.lines.some((line) => line.level >= 60)).toBe(false);

    // Space freed: writes and history work again by themselves.
    await tmpfs.free(filler);
    await expect(store.putState('fill', 'after-free', value)).resolves.toMatchObject({ version: 1n });
    acknowledged.push('after-free');
    await recordedAgain('after the disk was full', alive);
    expect(linesOf('Bus history is written again')).toBeGreaterThanOrEqual(1);
    expect(await storage.stop(30_000)).toEqual({ code: 0, signal: null });

    // 2. With a reserve: history stops while acknowledged writes still have room, and resumes when space returns.
    const reserve = 8 * 1024 * 1024;
    ({ child: storage, alive } = await startStorage({ reserveBytes: reserve, logFilesOnFullDisk: false }));
    const partial = await tmpfs.fill(reserve / 2);
    const paused = await eventually(async () => {
      alive();
      const check = await store.checkDatabase();
      return check.historyPaused ? check : undefined;
    }, 'history paused for the reserve');
    expect(paused).toMatchObject({ ok: true, historyPausedReason: expect.stringContaining('storage.historyMinFreeDiskBytes') });
    for (let i = 0; i < 5; i++) {
      await store.putState('fill', `reserved${i}`, value);
      acknowledged.push(`reserved${i}`);
    }
    await tmpfs.free(partial);
    await recordedAgain('after the reserve was back', alive);
    expect((await store.checkDatabase()).historyPaused).toBe(false);
    expect(storage.lines.filter((line) => line.msg.startsWith('Bus history recording paused')).length).toBe(1);
    expect(await storage.stop(30_000)).toEqual({ code: 0, signal: null });

    // Restarted: everything acknowledged is there.
    ({ child: storage } = await startStorage({ reserveBytes: reserve, logFilesOnFullDisk: false }));
    const listed = await store.listState({ namespace: 'fill', keysOnly: true, limit: 1000 });
    expect(listed.entries.map((entry) => entry.key).sort()).toEqual([...acknowledged].sort());
    expect(await store.checkDatabase()).toMatchObject({ ok: true, problems: [] });
    expect(await storage.stop(30_000)).toEqual({ code: 0, signal: null });
  }, 300_000);

  it('stays up and answers STORAGE_DISK_FULL while its own log files cannot be written either, and recovers', async () => {
    if (!('tmpfs' in mounted)) return; // the file-size-limit variant above ran instead
    const tmpfs = mounted.tmpfs;
    const { child: storage, alive } = await startStorage({ reserveBytes: 0, logFilesOnFullDisk: true });
    const acknowledged: string[] = [];
    const filler = await tmpfs.fill();
    expect(await putUntilRefused('logs-full', acknowledged)).toMatchObject({ code: 'STORAGE_DISK_FULL' });
    // Every refused request is logged (to the full disk); the process must live through it.
    for (let i = 0; i < 20; i++) {
      const refusal = await store.putState('logs-full', `refused${i}`, value).then(
        () => undefined,
        (error: unknown) => error,
      );
      alive();
      expect(refusal).toMatchObject({ code: 'STORAGE_DISK_FULL' });
    }
    await eventually(async () => (alive(), (await store.checkDatabase()).historyDropped > 0n ? true : undefined), 'history dropped and counted');
    alive();
    await tmpfs.free(filler);
    await expect(store.putState('logs-full', 'after-free', value)).resolves.toMatchObject({ version: 1n });
    await recordedAgain('after the log disk was full', alive);
    for (const key of acknowledged) expect((await store.getState('logs-full', key)).found).toBe(true);
    expect(await storage.stop(30_000)).toEqual({ code: 0, signal: null });
  }, 300_000);
});
