// The aico processes the monitor knows, by the pids their `system.service.ready` and `system.health.heartbeat`
// carry. A process is forgotten when it announces its stop or misses three heartbeats.
export interface ServiceProcess {
  readonly service: string;
  readonly instanceId: string;
  readonly pid: number;
  /** When it was last heard from, and how often it beats. */
  readonly lastSeenMs: number;
  readonly intervalMs: number;
}

const MISSED_BEATS = 3;
/** Until the first heartbeat says otherwise (the heartbeat default). */
const ASSUMED_INTERVAL_MS = 5_000;

export class ServiceProcessTable {
  private readonly byInstance = new Map<string, ServiceProcess>();

  /** From a heartbeat or a ready announcement; a pid of 0 (unknown) is ignored. */
  heard(service: string, instanceId: string, pid: number, nowMs: number, intervalMs?: number): void {
    if (pid <= 0 || instanceId === '') return;
    const known = this.byInstance.get(instanceId);
    this.byInstance.set(instanceId, { service, instanceId, pid, lastSeenMs: nowMs, intervalMs: intervalMs || known?.intervalMs || ASSUMED_INTERVAL_MS });
  }

  stopped(instanceId: string): void {
    this.byInstance.delete(instanceId);
  }

  /** The processes heard from recently, in service order. */
  current(nowMs: number): ServiceProcess[] {
    for (const [instanceId, process] of this.byInstance) {
      if (nowMs - process.lastSeenMs > MISSED_BEATS * process.intervalMs) this.byInstance.delete(instanceId);
    }
    return [...this.byInstance.values()].sort((a, b) => a.service.localeCompare(b.service) || a.pid - b.pid);
  }
}
