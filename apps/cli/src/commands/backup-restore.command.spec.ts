// `aico backup` and `aico restore` against a stand-in storage on a real CURVE bus: the absolute path storage
// receives, progress lines of this request only, the summary, the confirmation rule and the exit codes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { TestBus, type TestClient } from '@aico/bus/testing';
import { baseConfigSchema, loadConfig } from '@aico/config';
import { PublicError, StorageErrorCode, StorageTopics } from '@aico/contracts';
import { KeyManager } from '@aico/key-manager';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import type { CliContext } from '../cli-context';
import { runCli } from '../cli-program';
import { ExitCode } from '../exit-codes';

class StandInError extends PublicError {}

describe('aico backup and aico restore', () => {
  let environment: ServiceTestEnvironment;
  let bus: TestBus;
  let storage: TestClient;
  let archives: string;
  let context: CliContext;
  const received: { topic: string; path: string }[] = [];
  let out: string[] = [];
  let progress: string[] = [];
  let errors: string[] = [];

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('ipc', { AICO_LOG__FILE: 'false' });
    archives = await mkdtemp(join(tmpdir(), 'aico-cli-backups-'));
    bus = await new TestBus({ transport: 'ipc', keys: environment.keys }).start();
    // The stand-in answers before it connects, so its handlers are routable once it is connected.
    storage = bus.client('storage');
    storage.handle(StorageTopics.backupCreate, async (request) => {
      received.push({ topic: request.topic, path: request.payload.path });
      const report = (phase: string, doneBytes: number, requestCorrelationId = request.correlationId) =>
        storage.publish(StorageTopics.backupProgress, {
          operation: 'create',
          phase,
          doneBytes: BigInt(doneBytes),
          totalBytes: phase === 'snapshot' ? 0n : 1_048_576n,
          requestCorrelationId,
        });
      if (request.payload.path.endsWith('busy.aico')) throw new StandInError(StorageErrorCode.Busy, 'A restore is already running; try again later.');
      await report('verifying', 10, 'another-request');
      await report('snapshot', 0);
      await report('writing', 0);
      await report('writing', 524_288);
      await report('done', 1_048_576);
      return { path: request.payload.path, sizeBytes: 1_048_576n, entries: 3, createdAt: timestampFromDate(new Date('2026-01-02T03:04:05Z')) };
    });
    storage.handle(StorageTopics.backupRestore, (request) => {
      received.push({ topic: request.topic, path: request.payload.path });
      if (request.payload.path.endsWith('tampered.aico')) {
        throw new StandInError(StorageErrorCode.RestoreFailed, `The backup archive ${request.payload.path} is damaged or was altered.`, {
          archiveCode: 'BACKUP_TAMPERED',
        });
      }
      return { backupCreatedAt: timestampFromDate(new Date('2026-01-02T03:04:05Z')), entries: 3, schemaMigration: '0001_initial' };
    });
    await storage.connect();
    const env = { ...environment.env, AICO_BUS__PUBLISH_ENDPOINT: bus.publishEndpoint, AICO_BUS__SUBSCRIBE_ENDPOINT: bus.subscribeEndpoint };
    const { config } = loadConfig({ schema: baseConfigSchema, env });
    context = { config, keyManager: new KeyManager({ dataDir: config.dataDir }), out: (line) => out.push(line), progress: (line) => progress.push(line) };
  });
  beforeEach(() => {
    received.length = 0;
    out = [];
    progress = [];
    errors = [];
  });
  afterAll(async () => {
    await bus.stop();
    await environment.cleanup();
    await rm(archives, { recursive: true, force: true });
  });

  const aico = (...args: string[]) =>
    runCli(
      ['node', 'aico', ...args],
      () => context,
      (text) => void errors.push(text),
    );

  /** Runs `fn` as if standard input were (not) a terminal. */
  async function withTerminal<T>(isTTY: boolean, fn: () => Promise<T>): Promise<T> {
    const original = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
    Object.defineProperty(process.stdin, 'isTTY', { value: isTTY, configurable: true });
    try {
      return await fn();
    } finally {
      if (original) Object.defineProperty(process.stdin, 'isTTY', original);
      else delete (process.stdin as { isTTY?: boolean }).isTTY;
    }
  }

  it("backs up to the absolute path of a relative argument, printing this request's progress and a summary", async () => {
    expect(await aico('backup', 'relative.aico')).toBe(ExitCode.Ok);
    expect(received).toEqual([{ topic: 'storage.backup.create', path: resolve('relative.aico') }]);
    // One line a phase (and at most one a second within it); another request's progress is not shown.
    expect(progress).toEqual(['Snapshotting the database ...', 'Writing the archive: 0 B of 1.0 MiB (0%)']);
    expect(out).toEqual([`Backup written: ${resolve('relative.aico')} (1.0 MiB, 3 entries, 2026-01-02T03:04:05.000Z).`]);
  });

  it('maps storage refusals to exit codes: busy is 75, a damaged archive 65', async () => {
    expect(await aico('backup', join(archives, 'busy.aico'))).toBe(ExitCode.TryLater);
    expect(errors.join('')).toContain('A restore is already running; try again later. (STORAGE_BUSY)');
    const tampered = join(archives, 'tampered.aico');
    await writeFile(tampered, 'not really an archive');
    expect(await aico('restore', tampered, '--yes')).toBe(ExitCode.DataError);
    expect(errors.join('')).toContain('is damaged or was altered');
  });

  it('restores only when confirmed: --yes, or never without a terminal to ask on (64)', async () => {
    const archive = join(archives, 'good.aico');
    await writeFile(archive, 'stand-in archive');
    expect(await withTerminal(false, () => aico('restore', archive))).toBe(ExitCode.Usage);
    expect(errors.join('')).toContain('pass --yes');
    expect(received).toEqual([]);

    expect(await aico('restore', archive, '--yes')).toBe(ExitCode.Ok);
    expect(received).toEqual([{ topic: 'storage.backup.restore', path: archive }]);
    expect(out).toEqual([`Restored ${archive}: the backup of 2026-01-02T03:04:05.000Z, 3 entries, database schema 0001_initial.`]);
  });

  it('refuses a missing archive before asking or sending anything (66)', async () => {
    expect(await aico('restore', join(archives, 'missing.aico'), '--yes')).toBe(ExitCode.NoInput);
    expect(received).toEqual([]);
  });

  it('says storage is unavailable (69) when nothing answers for it on the bus', async () => {
    await storage.close();
    expect(await aico('backup', join(archives, 'nobody.aico'))).toBe(ExitCode.Unavailable);
    expect(errors.join('')).toContain('The storage service does not answer on the bus');
  });
});
