// `aico start`: the bus first, then keys, then storage, then the apps that need storage, each as its own OS process
// from its build output, each started once what it depends on has announced on the bus that it is ready (never a
// line of its output: ./bus-announcements). Crashed apps are restarted with backoff; the state of every app answers
// `system.supervisor.status`; a stop goes in reverse order.
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { BusClient, deriveClientKeys } from '@aico/bus';
import { defaultTopicRegistry, SupervisedAppState, SupervisorTopics } from '@aico/contracts';
import type { KeyRing } from '@aico/keys';
import { DegradableWriter, degradedMessage, recoveredMessage, StandardOutput, type Logger } from '@aico/logging';
import { appEntryPoint } from './build-layout';
import { BUS_APP, BusAnnouncements } from './bus-announcements';
import { RestartPolicy } from './restart-policy';
import { SupervisedApp } from './supervised-app';
import { consoleLogPath, type SupervisorConfig } from './supervisor.config';

/** Apps before this one start one after another; from it on, together (they depend on storage only). */
const PARALLEL_FROM = 'scheduler';

export class Supervisor {
  readonly apps: SupervisedApp[];
  private bus: BusClient | undefined;
  private announcements: BusAnnouncements | undefined;
  private readonly startedAt = new Date();
  private stopping = false;

  constructor(
    private readonly config: SupervisorConfig,
    private readonly keys: KeyRing,
    private readonly logger: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const { supervisor } = config;
    const forward = supervisor.forwardOutput ? { stdout: this.forwardWriter('stdout'), stderr: this.forwardWriter('stderr') } : undefined;
    const make = (name: string) =>
      new SupervisedApp({
        name,
        script: appEntryPoint(supervisor.appsDir, name),
        env,
        consoleLog: consoleLogPath(config.dataDir, name),
        consoleLogMaxBytes: supervisor.consoleLogMaxBytes,
        consoleLogFiles: supervisor.consoleLogFiles,
        forward,
        policy: new RestartPolicy({
          initialDelayMs: supervisor.initialRestartDelayMs,
          maxDelayMs: supervisor.maxRestartDelayMs,
          stableAfterMs: supervisor.stableAfterMs,
          maxCrashesInARow: supervisor.maxCrashesInARow,
        }),
        stopTimeoutMs: supervisor.stopTimeoutMs,
        logger,
        onChange: (app) => this.announce(app),
      });
    this.apps = [BUS_APP, ...supervisor.apps].map(make);
  }

  /** Starts everything in order; rejects (after stopping what started) when an app cannot become ready. */
  async start(): Promise<void> {
    const began = performance.now();
    const [busApp, ...rest] = this.apps;
    // The supervisor's own client connects through the bus app while it starts; the bus app is ready when it
    // answers there.
    busApp!.start();
    await Promise.all([busApp!.waitReady(this.config.supervisor.readyTimeoutMs), this.connect()]);
    const parallelAt = rest.findIndex((app) => app.name === PARALLEL_FROM);
    const sequential = parallelAt === -1 ? rest : rest.slice(0, parallelAt);
    const together = parallelAt === -1 ? [] : rest.slice(parallelAt);
    for (const app of sequential) await this.startAndWait([app]);
    if (together.length > 0) await this.startAndWait(together);
    this.logger.info({ apps: this.apps.map((app) => ({ name: app.name, pid: app.pid })), startMs: Math.round(performance.now() - began) }, 'aico ready');
  }

  async stop(reason: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.logger.info({ reason }, 'Stopping aico');
    const [busApp, ...rest] = this.apps;
    for (const app of [...rest].reverse()) await app.stop();
    await this.bus?.close({ drainTimeoutMs: 1_000 }).catch(() => undefined);
    await busApp!.stop();
    for (const app of this.apps) app.closeConsole();
    this.logger.info({ reason }, 'aico stopped');
  }

  status() {
    const apps = this.apps.map((app) => app.snapshot());
    return { apps, pid: process.pid, startedAt: timestampFromDate(this.startedAt), allReady: this.apps.every((app) => app.state === SupervisedAppState.READY) };
  }

  private async startAndWait(apps: SupervisedApp[]): Promise<void> {
    for (const app of apps) app.start();
    await Promise.all(apps.map((app) => app.waitReady(this.config.supervisor.readyTimeoutMs)));
  }

  /** Connects while the bus app starts: within the time the bus app has to become ready, not a client's usual deadline. */
  private async connect(): Promise<void> {
    const bus = new BusClient({
      identity: 'supervisor',
      publishEndpoint: this.config.bus.publishEndpoint,
      subscribeEndpoint: this.config.bus.subscribeEndpoint,
      curve: deriveClientKeys(this.keys, 'supervisor'),
      registry: defaultTopicRegistry,
      logger: this.logger,
      readyTimeoutMs: this.config.supervisor.readyTimeoutMs,
    });
    this.announcements = new BusAnnouncements(bus, this.apps, this.config.bus.requestTimeoutMs);
    bus.handle(SupervisorTopics.status, () => this.status());
    // Set before it connects: a stop while the bus app starts closes it.
    this.bus = bus;
    await bus.connect();
    this.announcements.askBusApp();
  }

  /** The supervisor's own stdout/stderr, for the apps' lines it copies there: a broken pipe or full disk is counted. */
  private forwardWriter(name: 'stdout' | 'stderr'): DegradableWriter {
    return new DegradableWriter(new StandardOutput(name), {
      onDegraded: (notice) => this.logger.warn({ destination: notice.destination, code: notice.code }, degradedMessage(notice)),
      onRecovered: (notice) => this.logger.warn({ destination: notice.destination, dropped: notice.dropped }, recoveredMessage(notice)),
    });
  }

  private announce(app: SupervisedApp): void {
    if (app.name === BUS_APP) this.announcements?.askBusApp();
    this.bus?.publish(SupervisorTopics.appChanged, { app: app.snapshot() }).catch(() => undefined);
  }
}
