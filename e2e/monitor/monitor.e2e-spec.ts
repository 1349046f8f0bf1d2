// The built monitor as a real process beside the real bus: it finds both processes by the pids their heartbeats
// carry, answers job admission over the bus, and stops cleanly on SIGTERM.
import { type BusClient } from '@aico/bus';
import { createTestClient, nextValue, requestWhenRoutable } from '@aico/bus/testing';
import { JobClass, JobState, MonitorTopics, type ResourceSample } from '@aico/contracts';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { ServiceProcess } from '../support/service-process';
import { LOAD_TOLERANT_ENV, SIGNAL_TIMEOUT_MS } from '../support/timing';

const BUS = 'dist/apps/bus/apps/bus/src/main.js';
const MONITOR = 'dist/apps/monitor/apps/monitor/src/main.js';

// Two process starts, a few samples and a stop: seconds when idle.
jest.setTimeout(600_000);

describe('monitor as a real process', () => {
  let environment: ServiceTestEnvironment;
  const processes: ServiceProcess[] = [];
  let observer: BusClient | undefined;

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('ipc', {
      ...LOAD_TOLERANT_ENV,
      AICO_LOG__LEVEL: 'info',
      AICO_LOG__FILE: 'false',
      AICO_BUS__HEARTBEAT_INTERVAL_MS: '250',
      AICO_MONITOR__SAMPLE_INTERVAL_MS: '200',
      AICO_MONITOR__PUBLISH_INTERVAL_MS: '200',
      AICO_MONITOR__PROCESS_INTERVAL_MS: '200',
    });
  });
  afterAll(async () => {
    await observer?.close({ drainTimeoutMs: 0 });
    for (const child of processes) child.signal('SIGKILL');
    await environment.cleanup();
  });

  it('reports itself and the bus by pid, admits a job, and stops with exit code 0', async () => {
    const bus = new ServiceProcess('bus', BUS, [], environment.env);
    processes.push(bus);
    await bus.waitForMessage('bus ready');
    const monitor = new ServiceProcess('monitor', MONITOR, [], environment.env);
    processes.push(monitor);
    await monitor.waitForMessage('monitor ready');

    observer = createTestClient('scheduler', environment.keys, environment.endpoints);
    await observer.connect();
    const bothFound = (sample: ResourceSample) =>
      [bus.pid, monitor.pid].every((pid) => sample.processes.some((process) => process.pid === pid && process.found));
    const sample = await nextValue<ResourceSample>(
      (deliver) => observer!.subscribe(MonitorTopics.resourceSample, (message) => bothFound(message.payload) && deliver(message.payload)),
      SIGNAL_TIMEOUT_MS,
      'a sample that found the bus and the monitor',
    );
    expect(sample.processes.find((process) => process.pid === monitor.pid)).toMatchObject({ service: 'monitor', found: true });
    expect(sample.processes.find((process) => process.pid === bus.pid)!.rssBytes).toBeGreaterThan(10_000_000n);

    const reply = await requestWhenRoutable((timeoutMs) =>
      observer!.request(MonitorTopics.jobSubmit, { id: 'e2e-chat', jobClass: JobClass.INTERACTIVE }, { timeoutMs }),
    );
    expect(reply.job).toMatchObject({ state: JobState.RUNNING, submitter: 'scheduler' });

    monitor.signal('SIGTERM');
    // With what went wrong, if anything did (a stop that fails logs an error or fatal line before exit code 1).
    const exit = await monitor.exited;
    expect({ ...exit, errors: monitor.lines.filter((line) => line.level >= 50) }).toEqual({ code: 0, signal: null, errors: [] });
    expect(monitor.lines.map((line) => line.msg)).toContain('monitor stopped');
  });
});
