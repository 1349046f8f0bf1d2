// Backup and restore through the storage bus contract: the real storage app in this process behind a real CURVE
// proxy, its encrypted database and files in a temporary data directory, archives in another temporary directory.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { createClient } from '@libsql/client';
import { readBackupArchive, readBackupManifest, writeBackupArchive } from '@aico/backup-archive';
import { type IncomingMessage } from '@aico/bus';
import { nextValue, requestWhenRoutable, TestBus, type TestClient } from '@aico/bus/testing';
import { KeyPurpose, RecordKind, SecurityTopics, StorageTopics, type BackupProgress, type Session } from '@aico/contracts';
import { KeyVersionStore } from '@aico/key-manager';
import { KeyRing } from '@aico/keys';
import { runService, type RunningService } from '@aico/service';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { StorageClient } from '@aico/storage-client';
import { StorageAppModule } from './storage-app.module';
import { storageConfigSchema } from './storage.config';

const NAMESPACE = 'backup-test';

describe('storage backup and restore', () => {
  let environment: ServiceTestEnvironment;
  let bus: TestBus;
  let running: RunningService;
  let cli: TestClient;
  let backups: string;
  let files: string;
  const progress = new Map<string, BackupProgress[]>();
  const finished = new Map<string, () => void>();
  let onRekeyed: ((event: IncomingMessage) => void) | undefined;

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('ipc', { AICO_LOG__LEVEL: 'warn', AICO_LOG__FILE: 'false' });
    backups = await mkdtemp(join(tmpdir(), 'aico-backups-'));
    files = join(environment.dir, 'files');
    bus = await new TestBus({ transport: 'ipc', keys: environment.keys }).start();
    const env = { ...environment.env, AICO_BUS__PUBLISH_ENDPOINT: bus.publishEndpoint, AICO_BUS__SUBSCRIBE_ENDPOINT: bus.subscribeEndpoint };
    running = await runService({ identity: 'storage', module: StorageAppModule, configSchema: storageConfigSchema, env, exitOnStop: false });
    // Subscribed before connecting: the connect probe proves the subscription reached the proxy.
    cli = bus.client('cli');
    cli.subscribe(StorageTopics.backupProgress, (event) => {
      const report = event.payload;
      progress.set(report.requestCorrelationId, [...(progress.get(report.requestCorrelationId) ?? []), report]);
      if (report.phase === 'done') finished.get(report.requestCorrelationId)?.();
    });
    cli.subscribe(StorageTopics.databaseRekeyed, (event) => onRekeyed?.(event));
    await cli.connect();
    await requestWhenRoutable((timeoutMs) => cli.request(StorageTopics.databaseCheck, {}, { timeoutMs }));
  });
  afterAll(async () => {
    await running.stop('test finished');
    await bus.stop();
    await environment.cleanup();
    await rm(backups, { recursive: true, force: true });
  });

  const put = (key: string, value: string) => cli.request(StorageTopics.statePut, { namespace: NAMESPACE, key, value: Buffer.from(value) });
  const get = async (key: string): Promise<string | undefined> => {
    const response = await cli.request(StorageTopics.stateGet, { namespace: NAMESPACE, key });
    return response.found ? Buffer.from(response.entry!.value).toString('utf8') : undefined;
  };
  const state = async () =>
    (await cli.request(StorageTopics.stateList, { namespace: NAMESPACE, limit: 100 })).entries.map((entry) => [
      entry.key,
      Buffer.from(entry.value).toString('utf8'),
    ]);
  const fileTree = async (): Promise<Record<string, string>> => {
    const names = (await readdir(files, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
    const tree: Record<string, string> = {};
    for (const entry of names) {
      const path = join(entry.parentPath, entry.name);
      tree[path.slice(files.length + 1)] = (await readFile(path)).toString('base64');
    }
    return tree;
  };
  const stagingLeftovers = async () => (await readdir(environment.dir)).filter((name) => name.startsWith('.backup-staging-'));

  /** Sends a backup or restore with its own correlation id; resolves with the reply and, once 'done' arrived, its progress. */
  async function tracked<T>(send: (options: { correlationId: string; timeoutMs: number }) => Promise<T>): Promise<{ reply: T; events: BackupProgress[] }> {
    const correlationId = randomUUID();
    const reply = await send({ correlationId, timeoutMs: 60_000 });
    // Published before the reply on the same socket, so normally already here; waited for only if not.
    if (!progress.get(correlationId)?.some((event) => event.phase === 'done')) {
      await nextValue<void>((deliver) => finished.set(correlationId, deliver), 10_000, 'progress "done" event').finally(() => finished.delete(correlationId));
    }
    return { reply, events: progress.get(correlationId) ?? [] };
  }
  const backup = (path: string) => tracked((options) => cli.request(StorageTopics.backupCreate, { path }, options));
  const restore = (path: string) => tracked((options) => cli.request(StorageTopics.backupRestore, { path }, options));
  const phases = (events: BackupProgress[]) => events.map((event) => event.phase).filter((phase, index, all) => phase !== all[index - 1]);

  let archive: string;
  let original: { state: string[][]; files: Record<string, string> };

  it('backs up the database and the files, reporting progress under the request correlation id', async () => {
    await put('kept', 'original value');
    await put('removed-later', 'still here after restore');
    await mkdir(join(files, 'notes'), { recursive: true });
    await writeFile(join(files, 'notes', 'a.txt'), 'original file');
    await writeFile(join(files, 'b.bin'), randomBytes(200_000));
    original = { state: await state(), files: await fileTree() };

    archive = join(backups, 'first.aico');
    const { reply, events } = await backup(archive);
    expect(reply).toMatchObject({ path: archive, entries: 3, createdAt: expect.anything() });
    expect(reply.sizeBytes).toBeGreaterThan(200_000n);

    expect(phases(events)).toEqual(['snapshot', 'hashing', 'writing', 'done']);
    expect(events.every((event) => event.operation === 'create' && event.doneBytes <= event.totalBytes)).toBe(true);
    const done = events.at(-1)!;
    expect(done.doneBytes).toBe(done.totalBytes);
    expect(done.totalBytes).toBeGreaterThan(200_000n);

    const manifest = await readBackupManifest(archive, { current: environment.keys.purposeKey('backup', 1) });
    expect(manifest.entries.map((entry) => entry.name)).toEqual(['aico.db', 'files/b.bin', 'files/notes/a.txt']);
    expect(manifest.app).toMatchObject({
      databaseKeyVersion: '1',
      backupKeyVersion: '1',
      aicoBackupOf: environment.dir,
      schemaMigration: expect.stringMatching(/.+/),
    });
    expect(await stagingLeftovers()).toEqual([]);
  });

  it('restores state and files to what they were at the backup, reporting progress, and the database checks ok', async () => {
    await put('kept', 'changed after the backup');
    await cli.request(StorageTopics.stateDelete, { namespace: NAMESPACE, key: 'removed-later' });
    await put('added-later', 'gone after restore');
    await writeFile(join(files, 'notes', 'a.txt'), 'changed file');
    await rm(join(files, 'b.bin'));
    await writeFile(join(files, 'added-later.txt'), 'gone after restore');

    const { reply, events } = await restore(archive);
    expect(reply).toMatchObject({ entries: 3, backupCreatedAt: expect.anything(), schemaMigration: expect.stringMatching(/.+/) });
    expect(phases(events)).toEqual(['verifying', 'restoring', 'swapping', 'done']);
    expect(events.every((event) => event.operation === 'restore')).toBe(true);

    expect(await state()).toEqual(original.state);
    expect(await fileTree()).toEqual(original.files);
    const check = await cli.request(StorageTopics.databaseCheck, {});
    expect(check).toMatchObject({ ok: true, problems: [], databaseKeyVersion: 1 });
    expect(await stagingLeftovers()).toEqual([]);
    // The restored database takes writes as before.
    await put('after-restore', 'written');
    expect(await get('after-restore')).toBe('written');
  });

  it('refuses an archive with one byte changed, and leaves the data as it was', async () => {
    const bytes = await readFile(archive);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    const tampered = join(backups, 'tampered.aico');
    await writeFile(tampered, bytes);
    const before = { state: await state(), files: await fileTree() };

    await expect(restore(tampered)).rejects.toMatchObject({
      code: 'STORAGE_RESTORE_FAILED',
      message: expect.stringContaining('damaged or was altered'),
      details: { archiveCode: 'BACKUP_TAMPERED' },
    });
    expect({ state: await state(), files: await fileTree() }).toEqual(before);
    expect(await stagingLeftovers()).toEqual([]);
    expect((await cli.request(StorageTopics.databaseCheck, {})).ok).toBe(true);
  });

  it('refuses an archive made under another master key, saying so, and leaves the data as it was', async () => {
    const otherKeys = new KeyRing(randomBytes(32), 'another installation');
    const source = join(backups, 'other.db');
    await writeFile(source, randomBytes(5_000));
    const foreign = join(backups, 'foreign.aico');
    await writeBackupArchive(foreign, {
      key: otherKeys.purposeKey('backup', 1),
      entries: [{ name: 'aico.db', path: source }],
      metadata: { databaseKeyVersion: '1' },
    });
    const before = { state: await state(), files: await fileTree() };

    await expect(restore(foreign)).rejects.toMatchObject({
      code: 'STORAGE_RESTORE_FAILED',
      message: expect.stringContaining('encrypted under another backup key'),
      details: { archiveCode: 'BACKUP_WRONG_KEY' },
    });
    expect({ state: await state(), files: await fileTree() }).toEqual(before);
    expect(await stagingLeftovers()).toEqual([]);
  });

  it('refuses relative paths, a missing directory and a place inside the data directory, naming the problem', async () => {
    await expect(cli.request(StorageTopics.backupCreate, { path: 'backups/relative.aico' })).rejects.toMatchObject({
      code: 'STORAGE_INVALID_ARGUMENT',
      message: expect.stringContaining('must be absolute'),
    });
    await expect(cli.request(StorageTopics.backupRestore, { path: 'first.aico' })).rejects.toMatchObject({
      code: 'STORAGE_INVALID_ARGUMENT',
      message: expect.stringContaining('must be absolute'),
    });
    await expect(cli.request(StorageTopics.backupCreate, { path: join(backups, 'missing', 'x.aico') })).rejects.toMatchObject({
      code: 'STORAGE_INVALID_ARGUMENT',
      message: expect.stringContaining('does not exist'),
    });
    for (const inside of [join(environment.dir, 'aico.db'), join(environment.dir, 'files', 'x.aico')]) {
      await expect(cli.request(StorageTopics.backupCreate, { path: inside })).rejects.toMatchObject({
        code: 'STORAGE_INVALID_ARGUMENT',
        message: expect.stringContaining('inside the data directory'),
      });
    }
    expect((await cli.request(StorageTopics.databaseCheck, {})).ok).toBe(true);
    await expect(cli.request(StorageTopics.backupRestore, { path: join(backups, 'missing.aico') })).rejects.toMatchObject({
      code: 'STORAGE_RESTORE_FAILED',
      details: { archiveCode: 'BACKUP_UNREADABLE' },
    });
  });

  it('runs one backup at a time: a second one at the same time is refused as busy', async () => {
    await mkdir(files, { recursive: true });
    await writeFile(join(files, 'large.bin'), randomBytes(8 * 1024 * 1024));
    try {
      const outcomes = await Promise.allSettled([backup(join(backups, 'one.aico')), backup(join(backups, 'two.aico'))]);
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => outcome.reason as unknown);
      expect(refused).toEqual([expect.objectContaining({ code: 'STORAGE_BUSY', message: expect.stringContaining('already running') })]);
    } finally {
      await rm(join(files, 'large.bin'));
    }
  });

  it('restores an archive written before the backup and database keys were rotated, re-keying the database', async () => {
    const beforeRotation = join(backups, 'before-rotation.aico');
    await backup(beforeRotation);
    const expected = { state: await state(), files: await fileTree() };

    const versions = new KeyVersionStore(environment.dir);
    await versions.rotate('backup');
    await versions.rotate('database');
    const keysService = await bus.connected('keys');
    const rekeyed = nextValue<IncomingMessage>((deliver) => (onRekeyed = deliver), 10_000, 'databaseRekeyed event');
    await keysService.publish(SecurityTopics.rotated, { key: { purpose: KeyPurpose.DATABASE, version: 2 }, previousVersion: 1, reason: 'test' });
    await rekeyed;
    expect((await cli.request(StorageTopics.databaseCheck, {})).databaseKeyVersion).toBe(2);

    await put('kept', 'changed after the rotation');
    await restore(beforeRotation);
    expect(await state()).toEqual(expected.state);
    expect(await fileTree()).toEqual(expected.files);
    // The archive's database was under key version 1; the restored one runs under the current version 2.
    expect(await cli.request(StorageTopics.databaseCheck, {})).toMatchObject({ ok: true, databaseKeyVersion: 2 });

    const afterRotation = join(backups, 'after-rotation.aico');
    await backup(afterRotation);
    const manifest = await readBackupManifest(afterRotation, { current: environment.keys.purposeKey('backup', 2) });
    expect(manifest.app).toMatchObject({ databaseKeyVersion: '2', backupKeyVersion: '2' });
  });

  it('refuses an archive whose database a newer aico migrated, putting the current database back as it was', async () => {
    const work = await mkdtemp(join(tmpdir(), 'aico-newer-'));
    try {
      // The first archive (backup key 1, database key 1), its database marked as migrated by a future build.
      const keys = { current: environment.keys.purposeKey('backup', 2), previous: [environment.keys.purposeKey('backup', 1)] };
      await readBackupArchive(archive, { keys, targetDir: join(work, 'content') });
      const database = join(work, 'content', 'aico.db');
      const client = createClient({ url: `file:${database}`, encryptionKey: environment.keys.purposeKey('database', 1).toString('hex') });
      await client.execute({ sql: 'INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)', args: ['future', Date.UTC(2099, 0, 1)] });
      client.close();
      const newer = join(backups, 'newer.aico');
      await writeBackupArchive(newer, { key: keys.current, entries: [{ name: 'aico.db', path: database }], metadata: { databaseKeyVersion: '1' } });
      const before = { state: await state(), files: await fileTree() };

      await expect(restore(newer)).rejects.toMatchObject({ code: 'STORAGE_DATABASE_NEWER', message: expect.stringContaining('Upgrade aico') });
      expect({ state: await state(), files: await fileTree() }).toEqual(before);
      expect(await cli.request(StorageTopics.databaseCheck, {})).toMatchObject({ ok: true, databaseKeyVersion: 2 });
      expect(await stagingLeftovers()).toEqual([]);
      await put('after-refused-restore', 'written');
      expect(await get('after-refused-restore')).toBe('written');
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('ends every session of the restored database: one ended after the backup stays ended, one made after it is gone, everyone logs in again', async () => {
    const gateway = new StorageClient(await bus.connected('gateway'));
    const expiresAt = timestampFromMs(Date.now() + 86_400_000);
    const session = (id: string) => ({ kind: { case: 'session' as const, value: { id, userId: 'restored-user', tokenHash: `hash-${id}`, expiresAt } } });
    await gateway.putRecord({ kind: { case: 'user', value: { id: 'restored-user', username: 'restored-user', role: 'user' } } });
    await gateway.putRecord(session('open-at-backup'));
    await gateway.putRecord(session('ended-after-backup'));
    const archiveWithSessions = join(backups, 'sessions.aico');
    await backup(archiveWithSessions);

    // After the backup: a logout, and a new login.
    await gateway.putRecord({ kind: { case: 'session', value: { ...session('ended-after-backup').kind.value, revokedAt: timestampFromMs(Date.now()) } } });
    await gateway.putRecord(session('made-after-backup'));

    const { reply } = await restore(archiveWithSessions);
    expect(reply.sessionsRevoked).toBe(2);
    const sessions = new Map<string, Session>();
    for await (const record of gateway.allRecords(RecordKind.SESSION, 'restored-user'))
      if (record.kind.case === 'session') sessions.set(record.kind.value.id, record.kind.value);
    expect([...sessions.keys()].sort()).toEqual(['ended-after-backup', 'open-at-backup']);
    expect([...sessions.values()].every((value) => value.revokedAt !== undefined)).toBe(true);
    // The restored database and its WAL and SHM are private like the one they replaced.
    const modes = await Promise.all(['aico.db', 'aico.db-wal', 'aico.db-shm'].map(async (name) => (await stat(join(environment.dir, name))).mode & 0o777));
    expect(modes).toEqual([0o600, 0o600, 0o600]);
  });
});
