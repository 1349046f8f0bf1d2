// Acknowledged-once-committed writes with idempotency: the reply to a write is stored, keyed by the caller's
// idempotency key, in the same transaction as the write itself. A retry (after a lost reply, a timeout or a crash
// of storage) finds the receipt and gets the original reply; the write is not applied twice.
import { Inject, Injectable } from '@nestjs/common';
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { eq, lt } from 'drizzle-orm';
import type { ZmqContext } from '@aico/bus';
import type { Logger } from '@aico/logging';
import { SERVICE_LOGGER } from '@aico/service';
import { Database } from './database/database';
import { writeReceipts } from './database/schema';

@Injectable()
export class DurableWrites {
  private replays = 0;

  constructor(
    private readonly database: Database,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  /** Runs `apply` in the write lane, once per idempotency key; resolves after commit with the (original) reply. */
  async write<S extends DescMessage>(context: ZmqContext, schema: S, apply: () => Promise<MessageInitShape<S>>): Promise<MessageShape<S>> {
    const idempotencyKey = context.getEnvelope().idempotencyKey;
    const key = idempotencyKey ? `${context.getSource()}\u0000${idempotencyKey}` : undefined;
    return this.database.lane.run(async () => {
      const db = this.database.writes;
      if (key) {
        const [receipt] = await db.select({ response: writeReceipts.response }).from(writeReceipts).where(eq(writeReceipts.key, key));
        if (receipt) {
          this.replays++;
          this.logger.debug({ topic: context.getTopic(), source: context.getSource(), idempotencyKey }, 'Repeated write answered from its receipt');
          return fromBinary(schema, receipt.response);
        }
      }
      const reply = create(schema, await apply());
      if (key) await db.insert(writeReceipts).values({ key, topic: context.getTopic(), response: Buffer.from(toBinary(schema, reply)), createdAt: Date.now() });
      return reply;
    });
  }

  get replayed(): number {
    return this.replays;
  }

  /** Receipts only need to outlive the callers' retry deadlines. */
  async pruneReceipts(olderThanMs: number): Promise<number> {
    return this.database.lane.run(async () => {
      const result = await this.database.writes.delete(writeReceipts).where(lt(writeReceipts.createdAt, Date.now() - olderThanMs));
      return result.rowsAffected;
    });
  }
}
