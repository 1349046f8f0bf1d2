// The database layer on real encrypted libSQL files: encryption at rest, key versions and re-keying, migrations
// and the refusal of a newer schema, the write lane's group commit and its failure isolation.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, cp, link, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { eq, sql } from 'drizzle-orm';
import { captureLogger } from '@aico/logging';
import { StorageErrorCode } from '../storage.error';
import { Database, MIGRATIONS_FOLDER } from './database';
import { events, state } from './schema';

describe('Database', () => {
  let dir: string;
  let path: string;
  const master = randomBytes(32);
  const keyOf = (version: number) => createHash('sha256').update(master).update(String(version)).digest('hex');
  const { logger } = captureLogger('storage');
  const open = (currentKeyVersion = 1, key = keyOf) => Database.open({ path, keyOf: key, currentKeyVersion, logger });
  const put = (db: Database, key: string, value: string) =>
    db.lane.run(() =>
      db.writes.insert(state).values({ namespace: 'test', key, value: Buffer.from(value), version: 1, updatedAt: Date.now(), updatedBy: 'test' }),
    );

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aico-db-'));
    path = join(dir, 'aico.db');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('keeps neither the database file nor its WAL readable: a distinctive string is in neither', async () => {
    const db = await open();
    const distinctive = 'ZEBRA-QUOKKA-7741-DISTINCTIVE';
    for (let i = 0; i < 50; i++) await put(db, `k${i}`, `${distinctive}-${i}`);
    const [row] = await (await db.reader()).select().from(state).where(eq(state.key, 'k7'));
    expect(row?.value.toString()).toBe(`${distinctive}-7`);
    const wal = await readFile(`${path}-wal`);
    expect(wal.length).toBeGreaterThan(0);
    expect(wal.includes(distinctive)).toBe(false);
    expect((await readFile(path)).includes(distinctive)).toBe(false);
    await db.close();
    expect((await readFile(path)).includes(distinctive)).toBe(false);
  });

  it('creates the database, its WAL and SHM 0600 whatever the umask, and makes files an older version left 0644 private at open', async () => {
    const modeOf = async (file: string) => (await stat(file)).mode & 0o777;
    const companions = [path, `${path}-wal`, `${path}-shm`];
    const umask = process.umask(0o022);
    try {
      const db = await open();
      await put(db, 'k', 'v');
      expect(await Promise.all(companions.map(modeOf))).toEqual([0o600, 0o600, 0o600]);
      await db.close();
      // As an earlier version left them: readable by everyone.
      for (const file of companions) await writeFile(file, '', { flag: 'a' }).then(() => chmod(file, 0o644));
      await writeFile(`${path}.key-version.json`, '{"version":1}\n', { mode: 0o644 });
      await chmod(`${path}.key-version.json`, 0o644);
      const reopened = await open();
      await put(reopened, 'k2', 'v2');
      expect(await Promise.all([...companions, `${path}.key-version.json`].map(modeOf))).toEqual([0o600, 0o600, 0o600, 0o600]);
      await reopened.close();
    } finally {
      process.umask(umask);
    }
  });

  it('drops the payloads bus history kept before it kept metadata only (migration 0002), and keeps what was appended explicitly', async () => {
    // The migrations up to 0001, as an earlier version had them.
    const earlier = join(dir, 'migrations-0001');
    await cp(MIGRATIONS_FOLDER, earlier, { recursive: true });
    for (const later of (await readdir(earlier)).filter((name) => name.endsWith('.sql') && name > '0002')) await rm(join(earlier, later));
    const journal = JSON.parse(await readFile(join(earlier, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
    journal.entries = journal.entries.filter((entry) => entry.tag <= '0001');
    await writeFile(join(earlier, 'meta', '_journal.json'), JSON.stringify(journal));
    const old = await Database.open({ path, keyOf, currentKeyVersion: 1, logger, migrationsFolder: earlier });
    await old.lane.run(() =>
      old.writes.run(sql`INSERT INTO events (topic, source, message_id, time, payload) VALUES
      (${'conversation.message.received'}, 'gateway', 'm1', 1, ${Buffer.from('what a person said')}),
      (${'ui.avatar.speak'}, 'gateway', 'm2', 2, ${Buffer.from('what the avatar said')}),
      (${'test.explicit.appended'}, 'scheduler', 'm3', 3, ${Buffer.from('kept on purpose')})`),
    );
    await old.close();

    const db = await open();
    expect(db.migration).toMatch(/^\d{4}_/);
    expect(db.migration >= '0002_history_metadata_only').toBe(true);
    const rows = await (await db.reader()).select().from(events).orderBy(events.sequence);
    expect(rows.map((r) => [r.topic, r.payload.toString(), r.payloadBytes, r.recorded])).toEqual([
      ['conversation.message.received', '', 18, true],
      ['ui.avatar.speak', '', 20, true],
      ['test.explicit.appended', 'kept on purpose', 15, false],
    ]);
    await db.close();
  });

  it('refuses a wrong key with a clear error', async () => {
    await (await open()).close();
    await expect(open(1, () => randomBytes(32).toString('hex'))).rejects.toMatchObject({
      code: StorageErrorCode.WrongKey,
      message: expect.stringContaining('belongs to another master key, or it is damaged'),
    });
  });

  it('refuses a database migrated by a newer build and leaves it untouched', async () => {
    await (await open()).close();
    const client = createClient({ url: `file:${path}`, encryptionKey: keyOf(1) });
    await client.execute({ sql: 'INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)', args: ['future', Date.UTC(2099, 0, 1)] });
    // The insert lands in the WAL; checkpointed now, the file holds it, so what is compared below cannot be changed by
    // this client's own checkpoint happening later (its close does not wait for one), only by open().
    await client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
    client.close();
    const before = await readFile(path);
    await expect(open()).rejects.toMatchObject({ code: StorageErrorCode.DatabaseNewerThanCode, message: expect.stringContaining('Upgrade aico') });
    expect((await readFile(path)).equals(before)).toBe(true);
  });

  it('re-keys to a new version with the data still readable, and heals a re-key interrupted before its record', async () => {
    const db = await open();
    await put(db, 'kept', 'across keys');
    const { previous } = await db.rekey(2);
    expect(previous).toBe(1);
    expect(db.databaseKeyVersion).toBe(2);
    await put(db, 'after', 'the rekey');
    expect((await (await db.reader()).select().from(state)).map((row) => row.key).sort()).toEqual(['after', 'kept']);
    expect(await db.integrityProblems()).toEqual([]);
    await db.close();
    // Version 1's key no longer opens it; the key-version record says 2.
    await expect(readFile(`${path}.key-version.json`, 'utf8')).resolves.toContain('"version":2');
    const old = createClient({ url: `file:${path}`, encryptionKey: keyOf(1) });
    await expect(old.execute('SELECT 1 FROM state')).rejects.toMatchObject({ code: expect.stringMatching(/^SQLITE_NOTADB/) });
    old.close();
    // A crash between PRAGMA rekey and the record: the record says 1, the file is under 2. Open finds it.
    await rm(`${path}.key-version.json`);
    const reopened = await open(2);
    expect(reopened.databaseKeyVersion).toBe(2);
    expect((await (await reopened.reader()).select().from(state)).length).toBe(2);
    await reopened.close();
  });

  it('reads through a statement kept on the connection: committed rows only, across a re-key and a restore onto a new connection', async () => {
    const LOOKUP = 'SELECT key, value FROM state WHERE namespace = ? AND key = ?';
    const read = async (db: Database, key: string) => (await db.first(LOOKUP, 'test', key))?.['value'];
    const db = await open();
    expect(await read(db, 'k')).toBeUndefined();
    await put(db, 'k', 'one');
    expect(await read(db, 'k')).toEqual(Buffer.from('one'));
    // A read asked while a write transaction is open waits for its commit, so it never sees the write half done.
    let release!: () => void;
    const held = db.lane.run(async () => {
      await db.writes
        .update(state)
        .set({ value: Buffer.from('two') })
        .where(eq(state.key, 'k'));
      await new Promise<void>((resolve) => (release = resolve));
    });
    while (!release) await new Promise((resolve) => setImmediate(resolve));
    let answered = false;
    const during = read(db, 'k').finally(() => (answered = true));
    for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    release();
    await held;
    expect(await during).toEqual(Buffer.from('two'));
    // The kept statement leaves no read open on the connection: the re-key's journal-mode switch still works.
    const { previous } = await db.rekey(2);
    expect(previous).toBe(1);
    expect(await read(db, 'k')).toEqual(Buffer.from('two'));
    // A restore re-attaches a new connection: statements are prepared again on it.
    const staged = join(dir, 'staged.db');
    await db.snapshot(staged);
    await put(db, 'later', 'not in the snapshot');
    await db.replaceWith(staged, 2, 2);
    expect(await read(db, 'k')).toEqual(Buffer.from('two'));
    expect(await read(db, 'later')).toBeUndefined();
    await expect(db.first('DELETE FROM state')).rejects.toThrow('Only statements that return rows are kept');
    await db.close();
  });

  it('re-keys at open when the key service is ahead', async () => {
    // A fresh file: libSQL keeps a closed connection's file open until its statements are garbage-collected, and
    // any other open connection blocks the journal-mode switch a re-key needs (a fresh process has none).
    const db = await open(3);
    expect(db.databaseKeyVersion).toBe(3);
    await db.close();
  });

  it('commits queued writes together, and a failing write is rolled back alone', async () => {
    const db = await open();
    const writes = Array.from({ length: 100 }, (_, i) => put(db, `k${i}`, `v${i}`));
    const duplicate = put(db, 'k5', 'again'); // primary key conflict
    await Promise.all(writes);
    await expect(duplicate).rejects.toMatchObject({ code: StorageErrorCode.Conflict });
    expect(db.lane.stats.committedJobs).toBe(100);
    expect(db.lane.stats.commits).toBeLessThan(100);
    expect((await (await db.reader()).select().from(state)).length).toBe(100);
    await db.close();
  });

  it('takes a write queued just as the lane runs dry: whatever the number of steps between a commit and the next write', async () => {
    const db = await open();
    // A caller that writes again once its previous write is acknowledged, after `depth` further promise steps, can
    // land between the lane's last look at its queue and the moment it marks itself idle. Every depth must commit.
    const chained = async (depth: number) => {
      let next: Promise<unknown> = put(db, `first-${depth}`, 'v');
      for (let step = 0; step < depth; step++) next = next.then(() => undefined);
      await next.then(() => put(db, `second-${depth}`, 'v'));
    };
    for (let depth = 0; depth < 16; depth++) await chained(depth);
    expect((await (await db.reader()).select().from(state)).length).toBe(32);
    await db.close();
  });

  it('holds writes during an exclusive section and applies them after', async () => {
    const db = await open();
    let release!: () => void;
    const held = db.lane.exclusive(() => new Promise<void>((resolve) => (release = resolve)));
    const write = put(db, 'queued', 'while held');
    await new Promise((resolve) => setImmediate(resolve));
    expect(db.lane.stats.committedJobs).toBe(0);
    release();
    await held;
    await write;
    expect(db.lane.stats.committedJobs).toBe(1);
    await db.close();
  });

  it('finishes a restore interrupted after the swap: the restored file opens under its key version', async () => {
    // The restored snapshot: another database under key version 2.
    const staged = join(dir, 'staged.db');
    const other = await Database.open({ path: staged, keyOf, currentKeyVersion: 2, logger });
    await put(other, 'restored', 'yes');
    await other.close();
    const db = await open();
    await put(db, 'live', 'before the restore');
    await db.close();
    // The crash: journal written, the live file linked aside, the staged file renamed in; nothing recorded after.
    await writeFile(`${path}.restore.json`, JSON.stringify({ stagedKeyVersion: 2, previousKeyVersion: 1 }));
    await link(path, `${path}.pre-restore`);
    await rename(staged, path);
    await rm(`${path}-wal`, { force: true });
    await rm(`${path}-shm`, { force: true });
    const reopened = await open(1);
    expect(reopened.databaseKeyVersion).toBe(2);
    expect((await (await reopened.reader()).select().from(state)).map((row) => row.key)).toEqual(['restored']);
    await expect(readFile(`${path}.pre-restore`)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readFile(`${path}.restore.json`)).rejects.toMatchObject({ code: 'ENOENT' });
    await reopened.close();
  });
});
