// Service pings and the database check over a real CURVE bus, with a stand-in storage that answers
// `storage.database.check` as the storage app does (or refuses, or is not there at all).
import { TestBus, type TestClient } from '@aico/bus/testing';
import { PublicError, StorageErrorCode, StorageTopics } from '@aico/contracts';
import { checkDatabase, checkServices, PINGED_SERVICES } from './services.check';

class StandInError extends PublicError {}

describe('services and database checks', () => {
  let bus: TestBus;
  let cli: TestClient;
  const dataDir = '/home/ada/.local/share/aico';
  let report: { ok: boolean; problems: string[]; databaseKeyVersion: number } | Error;
  const now = () => performance.now();

  beforeAll(async () => {
    bus = await new TestBus({ transport: 'ipc' }).start();
    cli = await bus.connected('cli', { answerPings: false });
  });
  afterAll(() => bus.stop());

  describe('with storage running', () => {
    let storage: TestClient;
    beforeAll(async () => {
      storage = bus.client('storage');
      storage.handle(StorageTopics.databaseCheck, () => {
        if (report instanceof Error) throw report;
        return { ...report, schemaMigration: '0003_jobs', sizeBytes: 3n * 1024n * 1024n, walBytes: 4096n };
      });
      await storage.connect();
    });
    afterAll(() => storage.close({ drainTimeoutMs: 0 }));

    it('lists who answers a ping and who does not', async () => {
      // Storage must answer within the deadline the others wait out: a generous one, so a loaded machine only waits longer.
      const { result, answering } = await checkServices(cli, dataDir, now, 10_000);
      expect([...answering]).toEqual(['storage']);
      expect(result.status).toBe('warn');
      expect(result.detail).toMatch(
        /^Not answering within 10 s: gateway, keys, scheduler, monitor, models, conversation\. Answering: storage \(\d+\.\d ms\)\.$/,
      );
      expect(result.fix).toBe(`Start them ("npm start" runs every service) or read their logs in ${dataDir}/logs.`);
      expect(PINGED_SERVICES).toEqual(['gateway', 'keys', 'storage', 'scheduler', 'monitor', 'models', 'conversation']);
    });

    it('reports integrity, key version, schema and size from storage', async () => {
      report = { ok: true, problems: [], databaseKeyVersion: 2 };
      expect(await checkDatabase({ bus: cli, storageAnswers: true, dataDir, expectedKeyVersion: async () => 2 })).toEqual({
        name: 'database',
        status: 'ok',
        detail: 'Integrity ok; database key version 2; schema 0003_jobs; 3.0 MiB (+ 4.0 KiB write-ahead log).',
      });
    });

    it('warns when storage runs under an older key version than key-versions.json names', async () => {
      report = { ok: true, problems: [], databaseKeyVersion: 1 };
      expect(await checkDatabase({ bus: cli, storageAnswers: true, dataDir, expectedKeyVersion: async () => 2 })).toMatchObject({
        status: 'warn',
        detail: expect.stringContaining('key-versions.json names version 2: the re-key to it has not finished.'),
        fix: 'Restart storage: it completes an interrupted re-key when it opens the database.',
      });
    });

    it('fails a database whose integrity check finds problems, pointing at the backups', async () => {
      report = {
        ok: false,
        problems: ['row 7 missing from index a', 'row 9 missing from index a', 'page 12 never used', 'page 13 never used'],
        databaseKeyVersion: 1,
      };
      expect(await checkDatabase({ bus: cli, storageAnswers: true, dataDir, expectedKeyVersion: async () => undefined })).toEqual({
        name: 'database',
        status: 'fail',
        detail: 'integrity_check found problems: row 7 missing from index a; row 9 missing from index a; page 12 never used and 1 more.',
        fix: `Restore the newest good backup with "aico restore <archive>" (nightly backups are in ${dataDir}-backups).`,
      });
    });

    it("fails with storage's own code when it cannot check", async () => {
      report = new StandInError(StorageErrorCode.Io, 'The database file cannot be read (EIO).');
      expect(await checkDatabase({ bus: cli, storageAnswers: true, dataDir, expectedKeyVersion: async () => undefined })).toMatchObject({
        status: 'fail',
        detail: 'Storage could not check the database (STORAGE_IO): The database file cannot be read (EIO).',
      });
    });
  });

  it('says storage is not running and the key cannot be checked now, never opening the database itself', async () => {
    const { answering } = await checkServices(cli, dataDir, now);
    expect(answering.size).toBe(0);
    expect(await checkDatabase({ bus: cli, storageAnswers: answering.has('storage'), dataDir, expectedKeyVersion: async () => 1 })).toEqual({
      name: 'database',
      status: 'warn',
      detail: 'Storage is not running, so the database key cannot be checked now (only the storage service opens the database; the CLI never does).',
      fix: 'Start aico ("npm start" in development), then run "aico doctor" again.',
    });
  });

  it('checks nothing without a bus', async () => {
    expect((await checkServices(undefined, dataDir, now)).result).toMatchObject({
      status: 'warn',
      detail: 'Not checked: the bus cannot be reached (see the bus check).',
    });
    expect(await checkDatabase({ bus: undefined, storageAnswers: false, dataDir, expectedKeyVersion: async () => 1 })).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('Not checked: without the bus'),
    });
  });
});
