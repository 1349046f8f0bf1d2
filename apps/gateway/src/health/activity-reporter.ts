// Tells the monitor a person is using a front end (`ui.activity.reported`), which holds background work while they
// are: authenticated requests and WebSocket frames count as input, at most one report per client every 15 s; a
// closed WebSocket reports the client away. The user and the client in a report are always the gateway's own
// (from the checked token and the connection), never what a front end says, so no one reports for another.
import { Injectable } from '@nestjs/common';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { BusClient } from '@aico/bus';
import { ActivityKind, MonitorTopics } from '@aico/contracts';

const REPORT_EVERY_MS = 15_000;
const MAX_TRACKED_CLIENTS = 10_000;

/** Who is active where: the authenticated user, and the connection or API client the gateway named. */
export interface ActivitySource {
  readonly userId: string;
  readonly client: string;
}

@Injectable()
export class ActivityReporter {
  private readonly lastReported = new Map<string, number>();

  constructor(private readonly bus: BusClient) {}

  input(source: ActivitySource, now = Date.now()): void {
    this.present(ActivityKind.INPUT, source, now);
  }

  away(source: ActivitySource): void {
    this.lastReported.delete(source.client);
    this.publish(ActivityKind.AWAY, source);
  }

  /** A front end's own report (over its WebSocket): of its own connection, throttled like any input. */
  reported(kind: ActivityKind.INPUT | ActivityKind.PRESENT | ActivityKind.AWAY, source: ActivitySource, now = Date.now()): void {
    if (kind === ActivityKind.AWAY) this.away(source);
    else this.present(kind, source, now);
  }

  private present(kind: ActivityKind, source: ActivitySource, now: number): void {
    const last = this.lastReported.get(source.client);
    if (last !== undefined && now - last < REPORT_EVERY_MS) return;
    if (this.lastReported.size >= MAX_TRACKED_CLIENTS) this.lastReported.clear();
    this.lastReported.set(source.client, now);
    this.publish(kind, source);
  }

  private publish(kind: ActivityKind, source: ActivitySource): void {
    // Activity is advisory: a report lost while the bus is down changes only how soon background work resumes.
    try {
      this.bus
        .publish(MonitorTopics.activityReported, { kind, client: source.client, userId: source.userId, occurredAt: timestampNow() })
        .catch(() => undefined);
    } catch {
      // A refusal at once (the bus client closed while stopping) is as advisory as a later one.
    }
  }
}
