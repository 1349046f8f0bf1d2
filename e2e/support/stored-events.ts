// What storage holds of the events a test wrote and saw acknowledged: the check that nothing acknowledged was lost
// and nothing was applied twice (each write carries its message id as idempotency key), read page by page.
import type { StorageClient } from '@aico/storage-client';

export interface StoredCensus {
  /** Acknowledged message ids storage does not hold. */
  readonly missing: string[];
  /** Message ids storage holds more than once. */
  readonly twice: string[];
}

export async function storedCensus(store: StorageClient, topicPrefix: string, acknowledged: readonly string[], pageSize = 500): Promise<StoredCensus> {
  const counts = new Map<string, number>();
  for (let after = 0n; ;) {
    const page = await store.queryEvents({ topicPrefix, afterSequence: after, limit: pageSize });
    if (page.events.length === 0) break;
    for (const event of page.events) counts.set(event.messageId, (counts.get(event.messageId) ?? 0) + 1);
    after = page.events.at(-1)!.sequence;
  }
  return { missing: acknowledged.filter((id) => !counts.has(id)), twice: [...counts].filter(([, n]) => n > 1).map(([id]) => id) };
}
