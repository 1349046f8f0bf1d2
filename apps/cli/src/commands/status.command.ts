// `aico status`: the supervisor's apps (state, pid, uptime, restarts, memory), which services answer on the bus (a
// ping to each, with its round trip), whether aico is set up, the free space of the data directory's disk (a full
// one is said first), and the gateway certificate fingerprint (what a front end pins). Reads only: it works on a
// full disk.
import { X509Certificate } from 'node:crypto';
import { readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SERVICE_IDENTITIES, SupervisedAppState, SupervisorTopics, SystemTopics } from '@aico/contracts';
import { withBus } from '../bus-connection';
import type { CliContext } from '../cli-context';
import { isRunning, readPidFiles } from '@aico/pid-files';
import { freeSpace, type FreeSpace, type StatFs } from '../disk-space';
import { describeApps } from '../orphaned-apps';
import { SUPERVISOR_PID_NAME } from '../supervisor-process';
import { CliError } from '../exit-codes';
import { formatBytes } from '../storage-operation';

const SERVICES = SERVICE_IDENTITIES.filter((identity) => !['bus', 'cli', 'supervisor'].includes(identity));

function diskLine(dataDir: string, space: FreeSpace): string {
  if (!space.known) return `disk       free space unknown (${space.reason})`;
  if (space.full)
    return `disk       FULL: ${formatBytes(space.freeBytes)} free on the file system of ${dataDir}; storage refuses writes until you free space there ("aico doctor" says more)`;
  return `disk       ${formatBytes(space.freeBytes)} free`;
}

/** What `aico status` reports, gathered before anything is printed (so `--json` and the table say the same). */
type Status = Awaited<ReturnType<typeof readStatus>>;

/** Reads the gateway certificate the gateway made at its first start; none yet is not an error. */
async function readCertificate(dataDir: string) {
  const certPath = join(dataDir, 'gateway', 'tls-cert.pem');
  return readFile(certPath, 'utf8').then(
    (pem) => {
      const x509 = new X509Certificate(pem);
      return { path: certPath, fingerprintSha256: x509.fingerprint256, validTo: x509.validTo };
    },
    () => undefined,
  );
}

async function readStatus(cli: CliContext, space: FreeSpace) {
  const certificate = await readCertificate(cli.config.dataDir);
  const [services, supervised] = await withBus(cli, (bus) =>
    Promise.all([
      Promise.all(
        SERVICES.map(async (service) => {
          const started = performance.now();
          try {
            await bus.request(SystemTopics.ping, { target: service }, { timeoutMs: cli.config.bus.requestTimeoutMs });
            return { service, up: true, roundTripMs: Number((performance.now() - started).toFixed(2)) };
          } catch {
            return { service, up: false };
          }
        }),
      ),
      bus.request(SupervisorTopics.status, {}, { timeoutMs: cli.config.bus.requestTimeoutMs }).then(
        (reply) =>
          reply.apps.map((app) => ({
            name: app.name,
            state: SupervisedAppState[app.state].toLowerCase(),
            pid: app.pid,
            uptimeMs: Number(app.uptimeMs),
            restarts: app.restarts,
            memoryBytes: Number(app.rssBytes),
            ...(app.reason ? { reason: app.reason } : {}),
          })),
        () => undefined,
      ),
    ]),
  ).catch((error: unknown) => {
    // Unreachable because the disk is full (services that died on it): say that first.
    if (error instanceof CliError && space.known && space.full)
      throw new CliError(`The disk of ${cli.config.dataDir} is full (${formatBytes(space.freeBytes)} free). ${error.message}`, error.exitCode);
    throw error;
  });
  // Without a supervisor, apps it left behind (their pid files); only read here, "aico stop" stops them.
  const leftBehind = supervised ? [] : (await readPidFiles(cli.config.dataDir)).filter((entry) => entry.name !== SUPERVISOR_PID_NAME && isRunning(entry));
  return {
    dataDir: cli.config.dataDir,
    setUp: await cli.keyManager.isSetUp(),
    disk: space.known ? { freeBytes: space.freeBytes, full: space.full } : null,
    services,
    supervisor: supervised ?? null,
    withoutSupervisor: leftBehind.map(({ name, pid }) => ({ name, pid })),
    gateway: certificate ?? null,
  };
}

function printStatus(cli: CliContext, status: Status, space: FreeSpace): void {
  if (space.known && space.full) cli.out(diskLine(status.dataDir, space));
  if (status.supervisor) {
    cli.out('app        state      pid      uptime     restarts  memory');
    for (const app of status.supervisor) {
      cli.out(
        `${app.name.padEnd(10)} ${app.state.padEnd(10)} ${String(app.pid || '-').padEnd(8)} ${`${Math.round(app.uptimeMs / 1000)} s`.padEnd(10)} ${String(app.restarts).padEnd(9)} ${app.memoryBytes ? `${Math.round(app.memoryBytes / 2 ** 20)} MiB` : '-'}${app.reason ? `  (${app.reason})` : ''}`,
      );
    }
  } else {
    const leftBehind = status.withoutSupervisor;
    if (leftBehind.length > 0) cli.out(`supervisor not running, but aico apps it started still run: ${describeApps(leftBehind)} ("aico stop" stops them)`);
    cli.out('supervisor not running ("aico start"); services answering on the bus:');
  }
  for (const entry of status.services) cli.out(`${entry.service.padEnd(10)} ${entry.up ? `up    ${entry.roundTripMs} ms` : 'not answering'}`);
  cli.out(`set up     ${status.setUp ? 'yes' : 'no (run "aico setup")'}`);
  if (!space.known || !space.full) cli.out(diskLine(status.dataDir, space));
  cli.out(
    status.gateway
      ? `gateway TLS certificate SHA-256 ${status.gateway.fingerprintSha256} (valid to ${status.gateway.validTo})`
      : 'gateway    no certificate yet (the gateway makes one at first start)',
  );
}

/** `statfs` is the edge a unit test replaces, where it cannot mount a full file system. */
export function registerStatus(program: Command, context: () => CliContext, statfsOf: StatFs = (path) => statfs(path)): void {
  program
    .command('status')
    .description('services answering on the bus, setup state, free disk space, and the gateway certificate fingerprint')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const cli = context();
      const space = await freeSpace(cli.config.dataDir, statfsOf);
      const status = await readStatus(cli, space);
      if (options.json) cli.out(JSON.stringify(status, null, 2));
      else printStatus(cli, status, space);
    });
}
