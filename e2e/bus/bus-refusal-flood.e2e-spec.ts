// Finding 9 of issue 14: refused bus clients must not flood the logs. 1,000 refused connection attempts (plain
// zeromq sockets and CURVE sockets with unknown keys) against the real bus process end in a handful of log lines —
// on stdout (which the supervisor keeps as `<data>/logs/bus.console.log`) and in the rotating `bus.N.log` file
// alike (the same lines go to the database through the log tap) — whose counts add up to the attempts. The
// aggregate report is configured to come only at stop, so the test waits for the stop, not for a clock.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestClient, floodWithRefusedClients } from '@aico/bus/testing';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { ServiceProcess, type LogLine } from '../support/service-process';
import { processFigures } from '../support/process-figures';
import { LOAD_TOLERANT_ENV, SIGNAL_TIMEOUT_MS } from '../support/timing';

const BUS = 'dist/apps/bus/apps/bus/src/main.js';
const ATTEMPTS = { plain: 500, wrongKey: 500 };

// 1,000 connection attempts in batches of 50, each waiting for its refusal: seconds when idle.
jest.setTimeout(600_000);

describe('the bus refusing a flood of clients', () => {
  let environment: ServiceTestEnvironment;
  let bus: ServiceProcess | undefined;

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('tcp', {
      AICO_LOG__LEVEL: 'info',
      AICO_LOG__FILE: 'true',
      ...LOAD_TOLERANT_ENV,
      // An hour: no periodic report during the test; the counts are reported when the bus stops.
      AICO_PROXY__REFUSAL_LOG_INTERVAL_MS: '3600000',
    });
  });
  afterAll(async () => {
    bus?.signal('SIGKILL');
    await environment.cleanup();
  });

  it('logs 1,000 refused connection attempts in a handful of lines whose counts add up to 1,000', async () => {
    bus = new ServiceProcess('bus', BUS, [], environment.env);
    await bus.waitForMessage('bus ready');
    const before = await processFigures(bus.pid);
    const startedAt = performance.now();

    const flood = await floodWithRefusedClients({
      ...environment.endpoints,
      serverPublicKey: environment.keys.curveKeyPair('bus').publicKey,
      ...ATTEMPTS,
      attemptTimeoutMs: SIGNAL_TIMEOUT_MS,
    });
    // A known client admitted after the flood: the proxy has handled every connection that came before it.
    const known = createTestClient('cli', environment.keys, environment.endpoints);
    await known.connect();
    await known.close({ drainTimeoutMs: 0 });
    const floodMs = performance.now() - startedAt;
    const after = await processFigures(bus.pid);

    expect(await bus.stop()).toEqual({ code: 0, signal: null });
    const stdout = refusalLines(bus.lines);
    const logDir = join(environment.dir, 'logs');
    const files = (await readdir(logDir)).filter((name) => /^bus\.\d+\.log$/.test(name));
    const fileLines = refusalLines((await Promise.all(files.map((name) => readFile(join(logDir, name), 'utf8')))).flatMap(parseLines));

    process.stdout.write(
      `${JSON.stringify({
        refusalFlood: {
          attempts: flood.attempts,
          clientOutcomes: flood.outcomes,
          floodMs: Math.round(floodMs),
          busCpuMs: after.cpuMs - before.cpuMs,
          busRssBytes: { before: before.rssBytes, after: after.rssBytes, peak: after.peakRssBytes },
          refusalLines: { stdout: stdout.length, file: fileLines.length },
        },
      })}\n`,
    );

    expect(flood.attempts).toBe(1_000);
    // Per source and reason, one line at once and one report: ZAP refusals come from one address; plain clients
    // are named by the endpoint they reached (two) and end their handshake in one of two ways.
    expect(stdout.length).toBeLessThanOrEqual(10);
    expect(sumOfCounts(stdout)).toBe(1_000);
    expect(sumOfCounts(stdout.filter((line) => line['reason'] === 'UNKNOWN_CURVE_KEY'))).toBe(ATTEMPTS.wrongKey);
    // The file holds the same lines, not more.
    expect(fileLines.map(summary)).toEqual(stdout.map(summary));
  });
});

function parseLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

function refusalLines(lines: readonly LogLine[]): LogLine[] {
  return lines.filter((line) => line.msg.startsWith('Bus client refused'));
}

function sumOfCounts(lines: readonly LogLine[]): number {
  return lines.reduce((sum, line) => sum + Number(line['count']), 0);
}

function summary(line: LogLine): string {
  return `${line.msg} ${String(line['address'])} ${String(line['reason'])} ${String(line['count'])}`;
}
