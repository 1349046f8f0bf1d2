// Whether the user is active: the newest of the gateway's activity reports (per front end) and the operating
// system's idle time, against an activity window. Where no OS probe answers, that is said once in the log and in
// every status reply, and activity comes from the gateway alone.
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ActivityKind, ActivityStatusSchema, type ActivityStatus } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import type { MonitorSettings } from '../monitor.config';
import { chooseIdleProbe, describeFailure, type IdleProbe } from './idle-probes';

export interface UserActivity {
  readonly active: boolean;
  readonly reason: string;
  readonly lastActivityAtMs: number | undefined;
}

/** Front ends tracked at most (a flood of client names must not grow the map without bound). */
const MAX_CLIENTS = 256;
const NOT_READ_YET = 'not read yet';
const TURNED_OFF = 'turned off by configuration (monitor.activity.osIdle)';
/** With no working probe, look for one again this often (a desktop session may start after the monitor). */
const REDETECT_AFTER_MS = 5 * 60_000;

function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
}

export class ActivityTracker {
  /** Front end → its newest activity. */
  private readonly clients = new Map<string, number>();
  private probe: IdleProbe | undefined;
  private osProblem = NOT_READ_YET;
  private osIdle: { readonly idleMs: number; readonly readAtMs: number } | undefined;
  private nextOsReadMs = 0;
  private reading = false;

  constructor(
    private readonly settings: MonitorSettings['activity'],
    private readonly candidates: readonly IdleProbe[],
    private readonly logger: Logger,
  ) {}

  /** A `ui.activity.reported` event. Returns false when it was ignored (stale, or of no kind). */
  report(kind: ActivityKind, occurredAtMs: number | undefined, client: string, nowMs: number): boolean {
    const name = client || 'unnamed client';
    switch (kind) {
      case ActivityKind.AWAY:
        return this.clients.delete(name);
      case ActivityKind.INPUT:
      case ActivityKind.PRESENT: {
        // A report held up on the bus, or from a skewed clock, counts no later than now and not at all when stale.
        const atMs = Math.min(occurredAtMs ?? nowMs, nowMs);
        if (nowMs - atMs >= this.settings.idleAfterMs) return false;
        const previous = this.clients.get(name) ?? 0;
        // Re-inserted, so the map's order is least recently active first (the one evicted on overflow).
        this.clients.delete(name);
        this.clients.set(name, Math.max(atMs, previous));
        if (this.clients.size > MAX_CLIENTS) this.clients.delete(this.clients.keys().next().value!);
        return true;
      }
      case ActivityKind.UNSPECIFIED:
        return false;
    }
  }

  /** Reads the OS idle time when due (finding a probe first); returns whether it did. Never throws. */
  async pollOsIdle(nowMs: number): Promise<boolean> {
    if (!this.settings.osIdle) {
      if (this.osProblem !== TURNED_OFF) {
        this.osProblem = TURNED_OFF;
        this.logger.info('Not reading the OS idle time: turned off by configuration; user activity comes from the gateway alone');
      }
      return false;
    }
    if (this.reading || nowMs < this.nextOsReadMs) return false;
    this.reading = true;
    try {
      if (this.probe) await this.readProbe(this.probe, nowMs);
      else await this.detect(nowMs);
      return true;
    } finally {
      this.reading = false;
    }
  }

  private async detect(nowMs: number): Promise<void> {
    const choice = await chooseIdleProbe(this.candidates, nowMs);
    const problem = choice.problems.join('; ');
    if (choice.probe && choice.idleMs !== undefined) {
      this.probe = choice.probe;
      this.osProblem = '';
      this.osIdle = { idleMs: choice.idleMs, readAtMs: nowMs };
      this.logger.info({ probe: choice.probe.name, ...(problem ? { notUsed: problem } : {}) }, `Reading the OS idle time through ${choice.probe.name}`);
      this.nextOsReadMs = nowMs + Math.max(this.settings.osIdleIntervalMs, choice.probe.minIntervalMs);
      return;
    }
    if (this.osProblem !== problem) {
      this.logger.warn({ problems: choice.problems }, `The OS idle time cannot be read here (${problem}); user activity comes from the gateway alone`);
    }
    this.osProblem = problem;
    this.nextOsReadMs = nowMs + Math.max(this.settings.osIdleIntervalMs, REDETECT_AFTER_MS);
  }

  private async readProbe(probe: IdleProbe, nowMs: number): Promise<void> {
    this.nextOsReadMs = nowMs + Math.max(this.settings.osIdleIntervalMs, probe.minIntervalMs);
    try {
      this.osIdle = { idleMs: await probe.idleMs(nowMs), readAtMs: nowMs };
      if (this.osProblem !== '') this.logger.info({ probe: probe.name }, `The OS idle time can be read again through ${probe.name}`);
      this.osProblem = '';
    } catch (error) {
      const problem = `${probe.name}: ${describeFailure(error)}`;
      if (this.osProblem === '')
        this.logger.warn({ probe: probe.name, problem }, `The OS idle time could not be read (${problem}); user activity comes from the gateway until it can`);
      this.osProblem = problem;
      this.osIdle = undefined;
    }
  }

  view(nowMs: number): UserActivity {
    const window = this.settings.idleAfterMs;
    for (const [client, atMs] of this.clients) if (nowMs - atMs >= window) this.clients.delete(client);
    let newest: { atMs: number; via: string } | undefined;
    for (const [client, atMs] of this.clients) if (!newest || atMs > newest.atMs) newest = { atMs, via: `front end ${client}` };
    if (this.osIdle && this.probe) {
      const atMs = this.osIdle.readAtMs - this.osIdle.idleMs;
      if (!newest || atMs > newest.atMs) newest = { atMs, via: `the OS (${this.probe.name})` };
    }
    if (!newest) return { active: false, reason: 'no user activity seen', lastActivityAtMs: undefined };
    const ago = Math.max(0, nowMs - newest.atMs);
    return ago < window
      ? { active: true, reason: `the user is active: last activity ${formatDuration(ago)} ago, from ${newest.via}`, lastActivityAtMs: newest.atMs }
      : { active: false, reason: `the user has been idle for ${formatDuration(ago)}`, lastActivityAtMs: newest.atMs };
  }

  status(nowMs: number): ActivityStatus {
    const activity = this.view(nowMs);
    return create(ActivityStatusSchema, {
      userActive: activity.active,
      reason: activity.reason,
      ...(activity.lastActivityAtMs !== undefined ? { lastActivityAt: timestampFromMs(activity.lastActivityAtMs) } : {}),
      activeClients: [...this.clients.keys()],
      osIdleAvailable: this.probe !== undefined && this.osIdle !== undefined,
      osIdleProbe: this.probe?.name ?? '',
      osIdleProblem: this.osProblem,
      osIdleMs: BigInt(this.osIdle?.idleMs ?? 0),
    });
  }
}
