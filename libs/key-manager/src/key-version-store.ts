// Which version of each purpose key is current. Rotation bumps a version (the key itself is derived, never
// stored: HKDF(master, "aico/<purpose>/v<n>")); owners of data under that purpose re-key from the old version.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyPurpose } from '@aico/keys';
import { writeFileAtomic } from './atomic-file';

export const KEY_PURPOSES: readonly KeyPurpose[] = ['database', 'file', 'token-signing', 'backup'];

export interface PurposeKeyVersion {
  readonly version: number;
  /** ISO time of the last rotation; empty for version 1. */
  readonly rotatedAt: string;
}

export type KeyVersions = Readonly<Record<KeyPurpose, PurposeKeyVersion>>;

export class KeyVersionStore {
  readonly path: string;

  constructor(private readonly dataDir: string) {
    this.path = join(dataDir, 'key-versions.json');
  }

  async read(): Promise<KeyVersions> {
    let stored: Partial<Record<string, PurposeKeyVersion>> = {};
    try {
      stored = JSON.parse(await readFile(this.path, 'utf8')) as typeof stored;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return Object.fromEntries(
      KEY_PURPOSES.map((purpose) => {
        const entry = stored[purpose];
        const version = Number.isInteger(entry?.version) && entry!.version >= 1 ? entry!.version : 1;
        return [purpose, { version, rotatedAt: typeof entry?.rotatedAt === 'string' ? entry.rotatedAt : '' }];
      }),
    ) as KeyVersions;
  }

  /** Bumps `purpose` to the next version, durably, and returns the old and new versions. */
  async rotate(purpose: KeyPurpose, now = new Date()): Promise<{ previous: number; current: PurposeKeyVersion }> {
    const versions = await this.read();
    const previous = versions[purpose].version;
    const current = { version: previous + 1, rotatedAt: now.toISOString() };
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.path, `${JSON.stringify({ ...versions, [purpose]: current }, null, 2)}\n`);
    return { previous, current };
  }
}
