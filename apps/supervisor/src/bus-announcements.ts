// How the supervisor learns from the bus that an app it started is ready: the app's identity announcing itself with
// the pid of the process the supervisor runs. `system.service.ready` says so once; every heartbeat says so again (an
// app beats only after its ready event), which covers a ready event that went by before the supervisor listened —
// the bus app's always does: it is sent through the proxy the supervisor is still waiting to reach. For the bus
// app the supervisor does not wait a heartbeat interval: once its own client is through the proxy, it asks the
// identity `bus` for a ping until it answers. Never a line of the app's output.
import { BusErrorCode, type BusClient } from '@aico/bus';
import { SupervisedAppState, SystemTopics } from '@aico/contracts';
import type { SupervisedApp } from './supervised-app';

export const BUS_APP = 'bus';

export class BusAnnouncements {
  private asking = false;

  constructor(
    private readonly bus: BusClient,
    private readonly apps: readonly SupervisedApp[],
    /** Deadline of one ping to the bus app; an unanswered one is sent again while the bus app is starting. */
    private readonly pingTimeoutMs: number,
  ) {
    bus.subscribe(SystemTopics.serviceReady, (event) => this.named(event.payload.service)?.markReady(event.payload.pid));
    bus.subscribe(SystemTopics.heartbeat, (event) => {
      const app = this.named(event.payload.service);
      const sample = event.payload.process;
      if (!app || !sample) return;
      app.markReady(sample.pid);
      if (app.pid === sample.pid) app.rssBytes = Number(sample.rssBytes);
    });
  }

  /**
   * Pings the bus app until it answers while it is starting (after the supervisor's client connected, and after each
   * restart of the bus app). The answer comes from a client speaking as `bus`: the bus app's own (only processes
   * holding the master key get onto the bus at all, and the supervisor started no other `bus`).
   */
  askBusApp(): void {
    const app = this.named(BUS_APP);
    if (!app || this.asking || app.state !== SupervisedAppState.STARTING || this.bus.state !== 'ready') return;
    this.asking = true;
    void this.pingUntilReady(app).finally(() => (this.asking = false));
  }

  private async pingUntilReady(app: SupervisedApp): Promise<void> {
    while (app.state === SupervisedAppState.STARTING && this.bus.state !== 'closing' && this.bus.state !== 'closed') {
      const pid = app.pid;
      try {
        await this.bus.request(SystemTopics.ping, { target: BUS_APP }, { timeoutMs: this.pingTimeoutMs });
        if (pid !== undefined) app.markReady(pid);
      } catch (error) {
        // Unanswered: the bus app's own client is not through the proxy yet (or the bus restarted meanwhile). Ask again.
        if ((error as { code?: unknown }).code !== BusErrorCode.DeadlineExceeded) return;
      }
    }
  }

  private named(name: string): SupervisedApp | undefined {
    return this.apps.find((app) => app.name === name);
  }
}
