import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION, type BackupManifest } from '@aico/backup-archive';
import { checkManifest, listDataFiles } from './backup-layout';
import { StorageErrorCode } from './storage.error';

const manifest = (names: string[], app: Record<string, string> = { databaseKeyVersion: '2' }): BackupManifest => ({
  format: MANIFEST_FORMAT,
  formatVersion: MANIFEST_FORMAT_VERSION,
  createdAt: new Date(0).toISOString(),
  app,
  entries: names.map((name) => ({ name, size: 1, sha256: '0'.repeat(64) })),
});

describe('backup layout', () => {
  it("accept a manifest of create's shape and answer its database key version", () => {
    expect(checkManifest(manifest(['aico.db', 'files/a/b.txt']), '/x.aicobak')).toBe(2);
  });

  it.each([
    ['no database', manifest(['files/a']), 'it holds no aico.db'],
    ['an unknown entry', manifest(['aico.db', 'keys/master']), 'entries this version of aico does not know: keys/master'],
    ['no key version', manifest(['aico.db'], {}), 'its metadata names no database key version'],
  ])('refuse a manifest with %s', (_case, refused, problem) => {
    expect(() => checkManifest(refused, '/x.aicobak')).toThrow(
      expect.objectContaining({ code: StorageErrorCode.RestoreFailed, message: expect.stringContaining(problem) }),
    );
  });

  describe('data files', () => {
    let dataDir: string;
    beforeEach(async () => (dataDir = await mkdtemp(join(tmpdir(), 'aico-layout-'))));
    afterEach(() => rm(dataDir, { recursive: true, force: true }));

    it('list nothing when there is no files directory', async () => {
      expect(await listDataFiles(dataDir)).toEqual({ sources: [], skipped: [] });
    });

    it('list regular files in name order as files/ entries and skip links', async () => {
      await mkdir(join(dataDir, 'files', 'b'), { recursive: true });
      await writeFile(join(dataDir, 'files', 'b', 'z.txt'), 'z');
      await writeFile(join(dataDir, 'files', 'a.txt'), 'a');
      await symlink(join(dataDir, 'files', 'a.txt'), join(dataDir, 'files', 'link'));
      const { sources, skipped } = await listDataFiles(dataDir);
      expect(sources.map((source) => source.name)).toEqual(['files/a.txt', 'files/b/z.txt']);
      expect(sources[0]!.path).toBe(join(dataDir, 'files', 'a.txt'));
      expect(skipped).toEqual(['link']);
    });
  });
});
