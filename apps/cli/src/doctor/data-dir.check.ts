// The data directory holds the encrypted database, the wrapped master key and (development profile) the master key
// itself: it must belong to the user, be closed to everyone else, be writable and have room to grow.
import { basename, dirname, join } from 'node:path';
import { VAULT_FILE, KeyVersionStore } from '@aico/key-manager';
import { DevelopmentKeyProvider } from '@aico/keys';
import { freeSpace } from '../disk-space';
import { formatBytes } from '../storage-operation';
import { checkResult, errorCode, shellQuote, worst, type CheckResult, type CheckStatus } from './doctor-check';

export interface DoctorFileSystem {
  stat(path: string): Promise<{ isDirectory(): boolean; readonly uid: number; readonly mode: number }>;
  statfs(path: string): Promise<{ readonly bavail: number; readonly bsize: number }>;
  /** Creates and removes a file in `dir`: the one sure test of writability (read-only mounts, ACLs, quotas). */
  writeProbe(dir: string): Promise<void>;
  /** The entries of a directory, without following symbolic links. */
  list(dir: string): Promise<readonly DirectoryEntry[]>;
}

export interface DirectoryEntry {
  readonly name: string;
  readonly kind: 'file' | 'directory' | 'other';
}

export interface DataDirSubject {
  readonly dataDir: string;
  readonly platform: NodeJS.Platform;
  /** The current user's uid; undefined where there is none (Windows). */
  readonly uid: number | undefined;
  readonly userName: string;
  readonly fs: DoctorFileSystem;
}

/** Below this the disk-space check warns; below FAIL_BELOW_BYTES it fails (storage's writes are about to fail). */
export const WARN_BELOW_BYTES = 1024 ** 3;
export const FAIL_BELOW_BYTES = 100 * 1024 ** 2;

export const mode = (bits: number) => `0${(bits & 0o777).toString(8).padStart(3, '0')}`;
export const exposed = (bits: number) => (bits & 0o077) !== 0;

interface Problem {
  readonly status: CheckStatus;
  readonly text: string;
  readonly fix?: string;
}

function writeFix(code: string, dir: string): string {
  switch (code) {
    case 'EROFS':
      return `${dir} is on a read-only file system: point AICO_DATA_DIR at a writable place.`;
    case 'ENOSPC':
    case 'EDQUOT':
      return 'Free space (or quota) on its file system.';
    default:
      return `Give your user write access to ${dir}.`;
  }
}

export async function checkDataDirectory({ dataDir, platform, uid, userName, fs }: DataDirSubject): Promise<CheckResult> {
  let info: Awaited<ReturnType<DoctorFileSystem['stat']>>;
  try {
    info = await fs.stat(dataDir);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') {
      return checkResult(
        'data-dir',
        'warn',
        `${dataDir} does not exist yet.`,
        '"aico setup", or the first service start ("npm start" for development), makes it with mode 0700.',
      );
    }
    return checkResult('data-dir', 'fail', `${dataDir} cannot be examined (${errorCode(error)}).`, `Check that your user may enter ${dirname(dataDir)}.`);
  }
  if (!info.isDirectory()) return checkResult('data-dir', 'fail', `${dataDir} is not a directory.`, 'Move it away, or point AICO_DATA_DIR at a directory.');

  const quoted = shellQuote(dataDir);
  const problems: Problem[] = [];
  const notes: string[] = [];
  if (platform !== 'win32' && uid !== undefined && info.uid !== uid) {
    problems.push({ status: 'fail', text: `it belongs to uid ${info.uid}, not to you (${userName}, uid ${uid})`, fix: `sudo chown -R ${userName} ${quoted}` });
  }
  if (platform === 'win32') notes.push('permissions not checked on Windows (NTFS ACLs, not mode bits)');
  else if (exposed(info.mode))
    problems.push({ status: 'fail', text: `its mode is ${mode(info.mode)}: other users can look inside`, fix: `chmod 700 ${quoted}` });
  else notes.push(`mode ${mode(info.mode)}`);
  try {
    await fs.writeProbe(dataDir);
    notes.push('writable');
  } catch (error) {
    problems.push({ status: 'fail', text: `it is not writable (${errorCode(error)})`, fix: writeFix(errorCode(error), dataDir) });
  }

  if (problems.length === 0) return checkResult('data-dir', 'ok', `${dataDir}: yours, ${notes.join(', ')}.`);
  const fixes = problems.flatMap((problem) => (problem.fix ? [problem.fix] : []));
  return checkResult(
    'data-dir',
    worst(problems.map((problem) => problem.status)),
    `${dataDir}: ${problems.map((problem) => problem.text).join('; ')}.`,
    fixes.join('; '),
  );
}

/** The files in the data directory that hold key material (wrapped, plain, or key versions). */
export function keyFilePaths(dataDir: string): string[] {
  return [join(dataDir, VAULT_FILE), new DevelopmentKeyProvider(dataDir).path, new KeyVersionStore(dataDir).path];
}

export async function checkKeyFiles({ dataDir, platform, fs }: DataDirSubject): Promise<CheckResult> {
  if (platform === 'win32')
    return checkResult('key-files', 'ok', 'Not checked on Windows: the data directory under %APPDATA% is private to the user by its ACL.');
  const closed: string[] = [];
  const open: { path: string; mode: string }[] = [];
  const unreadable: string[] = [];
  for (const path of keyFilePaths(dataDir)) {
    try {
      const info = await fs.stat(path);
      if (exposed(info.mode)) open.push({ path, mode: mode(info.mode) });
      else closed.push(`${basename(path)} (${mode(info.mode)})`);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') unreadable.push(`${path} (${errorCode(error)})`);
    }
  }
  if (open.length > 0) {
    return checkResult(
      'key-files',
      'fail',
      `Other users can read key files: ${open.map((file) => `${file.path} (${file.mode})`).join(', ')}.`,
      `chmod 600 ${open.map((file) => shellQuote(file.path)).join(' ')}`,
    );
  }
  if (unreadable.length > 0)
    return checkResult('key-files', 'fail', `Key files cannot be examined: ${unreadable.join(', ')}.`, `Check the owner of ${dataDir} and its files.`);
  return checkResult('key-files', 'ok', closed.length > 0 ? `Readable only by you: ${closed.join(', ')}.` : 'No key files in the data directory yet.');
}

/** Free space for the user on the file system that holds (or will hold) the data directory. */
export async function checkDiskSpace({ dataDir, fs }: DataDirSubject): Promise<CheckResult> {
  const space = await freeSpace(dataDir, (path) => fs.statfs(path));
  if (!space.known) return checkResult('disk-space', 'warn', `Free space on the file system of ${dataDir} is unknown (${space.reason}).`);
  const detail = `${formatBytes(space.freeBytes)} free on the file system of ${dataDir}`;
  if (space.full) {
    return checkResult(
      'disk-space',
      'fail',
      `The disk is full: ${detail}. Storage refuses writes (STORAGE_DISK_FULL) and log lines are dropped until there is room.`,
      `Free space on that file system now ("df -h ${shellQuote(dataDir)}" shows it; old backups in ${shellQuote(`${dataDir}-backups`)} can go elsewhere), then run "aico doctor" again.`,
    );
  }
  const fix = `Free space there (or move the data with AICO_DATA_DIR): storage needs room for its database, write-ahead log, logs and nightly backups in ${dataDir}-backups.`;
  if (space.freeBytes < FAIL_BELOW_BYTES) return checkResult('disk-space', 'fail', `${detail}: storage's writes will soon fail.`, fix);
  if (space.freeBytes < WARN_BELOW_BYTES) return checkResult('disk-space', 'warn', `${detail} (less than ${formatBytes(WARN_BELOW_BYTES)}).`, fix);
  return checkResult('disk-space', 'ok', `${detail}.`);
}
