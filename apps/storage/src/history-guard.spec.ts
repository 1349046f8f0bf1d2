// The history guard on a real encrypted database, with the file system's free space as the one stand-in (a real
// full disk is the tmpfs e2e test's): the size budget counts pages in use, the reserve the free bytes.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureLogger } from '@aico/logging';
import { Database } from './database/database';
import { state } from './database/schema';
import { HistoryGuard } from './history-guard';

describe('HistoryGuard', () => {
  let dir: string;
  let db: Database;
  const master = randomBytes(32);
  const keyOf = (version: number) => createHash('sha256').update(master).update(String(version)).digest('hex');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aico-guard-'));
    db = await Database.open({ path: join(dir, 'aico.db'), keyOf, currentKeyVersion: 1, logger: captureLogger('storage').logger });
  });
  afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const verdict = (guard: HistoryGuard) => db.lane.run(() => guard.verdict());

  it('records while the database is within its budget and the disk above its reserve', async () => {
    const guard = new HistoryGuard(db, { maxDatabaseBytes: 64 * 1024 * 1024, minFreeDiskBytes: 1024 }, async () => 10 * 1024 * 1024);
    await expect(verdict(guard)).resolves.toEqual({ record: true });
  });

  it('stops when the pages in use pass the budget, and not before; freed pages count as room again', async () => {
    const used = await db.lane.run(() => db.usedBytes());
    const guard = new HistoryGuard(db, { maxDatabaseBytes: used + 256 * 1024, minFreeDiskBytes: 0 });
    await expect(verdict(guard)).resolves.toEqual({ record: true });
    await db.lane.run(() =>
      db.writes.insert(state).values({ namespace: 'n', key: 'big', value: randomBytes(512 * 1024), version: 1, updatedAt: 0, updatedBy: 't' }),
    );
    await expect(verdict(guard)).resolves.toEqual({ record: false, reason: expect.stringContaining('storage.historyMaxDatabaseBytes') });
    await db.lane.run(() => db.writes.delete(state));
    await expect(verdict(guard)).resolves.toEqual({ record: true });
  });

  it('stops when the disk has less free than the reserve, and resumes when space comes back', async () => {
    let free = 1024 * 1024;
    const guard = new HistoryGuard(db, { maxDatabaseBytes: 0, minFreeDiskBytes: 4 * 1024 * 1024 }, async () => free);
    await expect(verdict(guard)).resolves.toEqual({ record: false, reason: expect.stringContaining('storage.historyMinFreeDiskBytes') });
    free = 8 * 1024 * 1024;
    await expect(verdict(guard)).resolves.toEqual({ record: true });
  });

  it('records when the free space cannot be read (a really full disk then fails the batch, counted)', async () => {
    const guard = new HistoryGuard(db, { maxDatabaseBytes: 0, minFreeDiskBytes: 1024 }, () =>
      Promise.reject(Object.assign(new Error('no statfs'), { code: 'ENOSYS' })),
    );
    await expect(verdict(guard)).resolves.toEqual({ record: true });
  });
});
