// Tells the monitor a person is using a front end (`ui.activity.reported`), which holds background work while they
// are: authenticated requests and WebSocket frames count as input, at most one report per client every 15 s; a
// closed WebSocket reports the client away.
import { Injectable } from '@nestjs/common';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { BusClient } from '@aico/bus';
import { ActivityKind, MonitorTopics } from '@aico/contracts';

const REPORT_EVERY_MS = 15_000;
const MAX_TRACKED_CLIENTS = 10_000;

@Injectable()
export class ActivityReporter {
  private readonly lastReported = new Map<string, number>();

  constructor(private readonly bus: BusClient) {}

  input(client: string, now = Date.now()): void {
    const last = this.lastReported.get(client);
    if (last !== undefined && now - last < REPORT_EVERY_MS) return;
    if (this.lastReported.size >= MAX_TRACKED_CLIENTS) this.lastReported.clear();
    this.lastReported.set(client, now);
    this.publish(ActivityKind.INPUT, client);
  }

  away(client: string): void {
    this.lastReported.delete(client);
    this.publish(ActivityKind.AWAY, client);
  }

  private publish(kind: ActivityKind, client: string): void {
    // Activity is advisory: a report lost while the bus is down changes only how soon background work resumes.
    this.bus.publish(MonitorTopics.activityReported, { kind, client, occurredAt: timestampNow() }).catch(() => undefined);
  }
}
