// What a backup archive of aico's data holds: the database snapshot as one entry and every regular file under
// <dataDir>/files as an entry under `files/`. `create` lists the files with listDataFiles(); `restore` accepts only a
// manifest of that shape (checkManifest), so an archive of something else is refused before anything is changed.
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { BackupManifest, BackupSource } from '@aico/backup-archive';
import { StorageError, StorageErrorCode } from './storage.error';

/** The archive entry holding the database snapshot; the data files are entries under `files/`. */
export const DATABASE_ENTRY = 'aico.db';
export const FILES_DIR = 'files';

/**
 * Every regular file under <dataDir>/files as an entry `files/<relative POSIX path>`, in name order, and what was
 * skipped there (links, sockets: relative paths), for the caller to report.
 */
export async function listDataFiles(dataDir: string): Promise<{ sources: BackupSource[]; skipped: string[] }> {
  const root = join(dataDir, FILES_DIR);
  const sources: BackupSource[] = [];
  const skipped: string[] = [];
  const walk = async (directory: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (error) {
      if (directory === root && (error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) sources.push({ name: `${FILES_DIR}/${relative(root, path).split(sep).join('/')}`, path });
      else skipped.push(relative(root, path));
    }
  };
  await walk(root);
  return { sources, skipped };
}

/** The manifest is one `create` wrote: a database, files only under files/, and the database's key version (returned). */
export function checkManifest(manifest: BackupManifest, archive: string): number {
  const refuse = (problem: string) =>
    new StorageError(
      StorageErrorCode.RestoreFailed,
      `${archive} is not a backup of aico's data (${problem}); nothing was changed. Choose an archive made by "aico backup".`,
      {
        archive,
      },
    );
  const names = manifest.entries.map((entry) => entry.name);
  if (!names.includes(DATABASE_ENTRY)) throw refuse(`it holds no ${DATABASE_ENTRY}`);
  const unknown = names.filter((name) => name !== DATABASE_ENTRY && !name.startsWith(`${FILES_DIR}/`));
  if (unknown.length > 0) throw refuse(`it holds entries this version of aico does not know: ${unknown.slice(0, 3).join(', ')}`);
  const version = Number(manifest.app['databaseKeyVersion']);
  if (!Number.isInteger(version) || version < 1) throw refuse('its metadata names no database key version');
  return version;
}
