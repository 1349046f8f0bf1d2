// The refresh secrets a session has already spent (rotated away), as SHA-256 hashes, newest last. Presenting one of
// these again means the token was copied: the caller ends every session of the user. A secret that is neither the
// current one nor a spent one is just wrong (a guess, garbage) and ends nothing, or anyone who read a session id
// from an access token could log its user out everywhere. Kept in storage (namespace gateway.refresh-spent, keyed by
// session id) and dropped when the session ends.
import { z } from '@aico/config';
import type { StorageClient } from '@aico/storage-client';

export const SPENT_NAMESPACE = 'gateway.refresh-spent';
/** Rotations remembered per session: a copy older than this many refreshes is refused as invalid, without the alarm. */
export const SPENT_KEPT = 64;

const spentList = z.object({ hashes: z.array(z.string().regex(/^[0-9a-f]{64}$/)) });

export type SpentSecretsStorage = Pick<StorageClient, 'getState' | 'putState' | 'deleteState'>;

export class SpentRefreshSecrets {
  constructor(private readonly storage: SpentSecretsStorage) {}

  async has(sessionId: string, hash: string): Promise<boolean> {
    return (await this.read(sessionId)).includes(hash);
  }

  /** Remembers a hash as spent (the caller serializes refreshes of one session). */
  async add(sessionId: string, hash: string): Promise<void> {
    const hashes = [...(await this.read(sessionId)).filter((known) => known !== hash), hash].slice(-SPENT_KEPT);
    await this.storage.putState(SPENT_NAMESPACE, sessionId, Buffer.from(JSON.stringify({ hashes })));
  }

  async forget(sessionId: string): Promise<void> {
    await this.storage.deleteState(SPENT_NAMESPACE, sessionId);
  }

  private async read(sessionId: string): Promise<string[]> {
    const found = await this.storage.getState(SPENT_NAMESPACE, sessionId);
    if (!found.found || !found.entry) return [];
    try {
      const parsed = spentList.safeParse(JSON.parse(Buffer.from(found.entry.value).toString('utf8')));
      return parsed.success ? parsed.data.hashes : [];
    } catch {
      return [];
    }
  }
}
