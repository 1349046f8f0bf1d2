// `aico start`: the bus first, then keys, then storage, then the apps that need storage, each as its own OS process
// from its build output, each started once what it depends on has announced it is ready. Crashed apps are
// restarted with backoff; the state of every app answers `system.supervisor.status`; a stop goes in reverse order.
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { BusClient, deriveClientKeys } from '@aico/bus';
import { defaultTopicRegistry, SupervisedAppState, SupervisorTopics, SystemTopics } from '@aico/contracts';
import type { KeyRing } from '@aico/keys';
import { DegradableWriter, degradedMessage, recoveredMessage, StandardOutput, type Logger } from '@aico/logging';
import { appEntryPoint } from '../../../tools/build/build-paths.mjs';
import { RestartPolicy } from './restart-policy';
import { SupervisedApp } from './supervised-app';
import { consoleLogPath, type SupervisorConfig } from './supervisor.config';

/** Apps before this one start one after another; from it on, together (they depend on storage only). */
const PARALLEL_FROM = 'scheduler';

export class Supervisor {
  readonly apps: SupervisedApp[];
  private bus: BusClient | undefined;
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
        // The bus announces itself before the supervisor can listen: its log line says it is ready.
        ...(name === 'bus' ? { readyLogMessage: 'bus ready' } : {}),
        onChange: (app) => this.announce(app),
      });
    this.apps = ['bus', ...supervisor.apps].map(make);
  }

  /** Starts everything in order; rejects (after stopping what started) when an app cannot become ready. */
  async start(): Promise<void> {
    const began = performance.now();
    const [busApp, ...rest] = this.apps;
    await this.startAndWait([busApp!]);
    await this.connect();
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

  private async connect(): Promise<void> {
    const bus = new BusClient({
      identity: 'supervisor',
      publishEndpoint: this.config.bus.publishEndpoint,
      subscribeEndpoint: this.config.bus.subscribeEndpoint,
      curve: deriveClientKeys(this.keys, 'supervisor'),
      registry: defaultTopicRegistry,
      logger: this.logger,
      readyTimeoutMs: this.config.bus.readyTimeoutMs,
    });
    bus.subscribe(SystemTopics.serviceReady, (event) => this.apps.find((app) => app.name === event.payload.service)?.markReady(event.payload.pid));
    bus.subscribe(SystemTopics.heartbeat, (event) => {
      const app = this.apps.find((candidate) => candidate.name === event.payload.service);
      const sample = event.payload.process;
      if (app && sample && app.pid === sample.pid) app.rssBytes = Number(sample.rssBytes);
    });
    bus.handle(SupervisorTopics.status, () => this.status());
    await bus.connect();
    this.bus = bus;
  }

  /** The supervisor's own stdout/stderr, for the apps' lines it copies there: a broken pipe or full disk is counted. */
  private forwardWriter(name: 'stdout' | 'stderr'): DegradableWriter {
    return new DegradableWriter(new StandardOutput(name), {
      onDegraded: (notice) => this.logger.warn({ destination: notice.destination, code: notice.code }, degradedMessage(notice)),
      onRecovered: (notice) => this.logger.warn({ destination: notice.destination, dropped: notice.dropped }, recoveredMessage(notice)),
    });
  }

  private announce(app: SupervisedApp): void {
    this.bus?.publish(SupervisorTopics.appChanged, { app: app.snapshot() }).catch(() => undefined);
  }
}
