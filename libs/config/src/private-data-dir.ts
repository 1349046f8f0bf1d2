// The data directory holds keys, the database and logs: only its owner may enter it. Every aico process checks it
// at start: created 0700 when missing; a directory of this user that others can read, write or enter is fixed
// (chmod 0700, reported); one that belongs to someone else and is open to others is refused, naming the command
// that fixes it. Windows has no mode bits to check (its ACLs follow the profile directory).
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { ConfigError, ConfigErrorCode } from './config-loader';

export interface DataDirCheck {
  readonly created: boolean;
  /** The mode it had when it was open to others and this process closed it (chmod 0700). */
  readonly fixedFromMode?: number;
}

const OTHERS = 0o077;
const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

export function ensurePrivateDataDir(dir: string, platform: NodeJS.Platform = process.platform, uid: number | undefined = process.getuid?.()): DataDirCheck {
  const created = mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined;
  if (platform === 'win32' || uid === undefined) return { created };
  const stats = statSync(dir);
  if ((stats.mode & OTHERS) === 0) return { created };
  if (stats.uid === uid) {
    chmodSync(dir, 0o700);
    return { created, fixedFromMode: stats.mode & 0o777 };
  }
  throw new ConfigError(
    ConfigErrorCode.DataDirUnsafe,
    `The data directory ${dir} is open to other users (mode ${octal(stats.mode)}) and belongs to uid ${stats.uid}, not to you (uid ${uid}): aico keeps keys and personal data there and will not use it. Make it yours and private: sudo chown ${uid} '${dir}' && chmod 700 '${dir}' (or choose another directory with AICO_DATA_DIR).`,
  );
}
