// Everything inside the data directory — the database with its write-ahead log and shared memory, the logs, the
// gateway's TLS key, pid files — must be closed to other users: services create them 0600 (umask 077), but files
// made by an older version, a restore or a hand-made copy may not be. Key files have their own check (key-files);
// the gateway's certificate is public.
import { join } from 'node:path';
import { checkResult, errorCode, shellQuote, type CheckResult } from './doctor-check';
import { exposed, keyFilePaths, mode, type DataDirSubject } from './data-dir.check';

/** A data directory is small; this bounds the walk of a tree someone filled with something else. */
export const MAX_EXAMINED_ENTRIES = 20_000;
const NAMED_AT_MOST = 6;

interface Exposed {
  readonly path: string;
  readonly mode: string;
}

export async function checkDataFiles({ dataDir, platform, fs }: DataDirSubject): Promise<CheckResult> {
  if (platform === 'win32')
    return checkResult('data-files', 'ok', 'Not checked on Windows: the data directory under %APPDATA% is private to the user by its ACL.');
  // The gateway's certificate is public (front ends pin its fingerprint); its private key is not, and is checked.
  const skip = new Set([...keyFilePaths(dataDir), join(dataDir, 'gateway', 'tls-cert.pem')]);
  const open: Exposed[] = [];
  const unreadable: string[] = [];
  const directories = [dataDir];
  let examined = 0;
  while (directories.length > 0 && examined < MAX_EXAMINED_ENTRIES) {
    const directory = directories.shift()!;
    let entries: Awaited<ReturnType<typeof fs.list>>;
    try {
      entries = await fs.list(directory);
    } catch (error) {
      // A data directory that is not there yet holds nothing to check; the data-dir check says so.
      if (directory !== dataDir || errorCode(error) !== 'ENOENT') unreadable.push(`${directory} (${errorCode(error)})`);
      continue;
    }
    for (const entry of entries) {
      const path = join(directory, entry.name);
      if (entry.kind === 'other' || skip.has(path)) continue;
      if (++examined > MAX_EXAMINED_ENTRIES) break;
      try {
        const info = await fs.stat(path);
        if (exposed(info.mode)) open.push({ path, mode: mode(info.mode) });
      } catch (error) {
        // Removed between listing and looking (a rotated log, a finished temporary file): nothing left to protect.
        if (errorCode(error) !== 'ENOENT') unreadable.push(`${path} (${errorCode(error)})`);
        continue;
      }
      if (entry.kind === 'directory') directories.push(path);
    }
  }
  if (open.length > 0) {
    const named = open.slice(0, NAMED_AT_MOST).map((file) => `${file.path} (${file.mode})`);
    const more = open.length > NAMED_AT_MOST ? ` and ${open.length - NAMED_AT_MOST} more` : '';
    return checkResult(
      'data-files',
      'fail',
      `Other users can read what aico keeps in the data directory: ${named.join(', ')}${more}.`,
      `chmod -R go-rwx ${shellQuote(dataDir)}`,
    );
  }
  if (unreadable.length > 0)
    return checkResult(
      'data-files',
      'fail',
      `Files in the data directory cannot be examined: ${unreadable.slice(0, NAMED_AT_MOST).join(', ')}.`,
      `Check the owner of ${dataDir} and its files.`,
    );
  const limited = examined > MAX_EXAMINED_ENTRIES ? ` (the first ${MAX_EXAMINED_ENTRIES} entries)` : '';
  return checkResult(
    'data-files',
    'ok',
    examined > 0 ? `The database, logs and other files are readable only by you${limited}.` : 'No files in the data directory yet.',
  );
}
