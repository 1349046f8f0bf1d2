// A model pull asked for through the gateway runs in the background (a download can take an hour): its progress
// goes as gateway-made WebSocket frames to the user who started it, and to nobody else
// (`models.catalog.pull.progress`, then one `models.catalog.pull.completed` with the model or the error).
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { toJson } from '@bufbuild/protobuf';
import { BusClient } from '@aico/bus';
import { CatalogModelSchema, ModelsTopics, PublicError, PullProgressSchema, type PullModelRequest } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { SERVICE_LOGGER } from '@aico/service';
import { isoTimeOfMs } from '../time/iso-time';
import { USER_FRAMES, type UserFrames } from '../ws/user-frames';

export const PULL_PROGRESS_TOPIC = 'models.catalog.pull.progress';
export const PULL_COMPLETED_TOPIC = 'models.catalog.pull.completed';
/** The longest a pull may take (a large model over a slow line); the stream's keep-alives catch a dead service sooner. */
const PULL_DEADLINE_MS = 12 * 3_600_000;

@Injectable()
export class ModelPulls implements BeforeApplicationShutdown {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly bus: BusClient,
    @Inject(USER_FRAMES) private readonly frames: UserFrames,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  /** Starts a pull for a user; answers its id at once (the frames carry it). */
  start(userId: string, request: Pick<PullModelRequest, 'source' | 'name' | 'sha256'>): string {
    const pullId = randomUUID();
    const abort = new AbortController();
    this.running.set(pullId, abort);
    const event = (topic: string, payload: Record<string, unknown>) =>
      this.frames.sendToUser(userId, { type: 'event', topic, timestamp: isoTimeOfMs(Date.now()), payload: { pullId, ...payload } });
    this.bus
      .requestStream(ModelsTopics.catalogPull, request, {
        correlationId: pullId,
        attributes: { user: userId },
        timeoutMs: PULL_DEADLINE_MS,
        signal: abort.signal,
        onDelta: (progress) => event(PULL_PROGRESS_TOPIC, toJson(PullProgressSchema, progress) as Record<string, unknown>),
      })
      .then(
        (done) => {
          this.logger.info({ userId, pullId, model: done.model?.id }, 'Model pulled');
          event(PULL_COMPLETED_TOPIC, done.model ? { model: toJson(CatalogModelSchema, done.model) } : {});
        },
        (error: unknown) => {
          const coded =
            error instanceof PublicError
              ? { code: error.code, message: error.message }
              : { code: 'INTERNAL', message: 'The pull failed inside the gateway; the log has the details.' };
          this.logger.warn({ userId, pullId, code: coded.code }, 'Model pull failed');
          event(PULL_COMPLETED_TOPIC, { error: coded });
        },
      )
      .finally(() => this.running.delete(pullId));
    return pullId;
  }

  beforeApplicationShutdown(): void {
    for (const abort of this.running.values()) abort.abort();
  }
}
