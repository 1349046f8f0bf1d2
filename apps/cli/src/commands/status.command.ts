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

/** `statfs` is the edge a unit test replaces, where it cannot mount a full file system. */
export function registerStatus(program: Command, context: () => CliContext, statfsOf: StatFs = (path) => statfs(path)): void {
  program
    .command('status')
    .description('services answering on the bus, setup state, free disk space, and the gateway certificate fingerprint')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const cli = context();
      const space = await freeSpace(cli.config.dataDir, statfsOf);
      const disk = space.known ? { freeBytes: space.freeBytes, full: space.full } : null;
      const certPath = join(cli.config.dataDir, 'gateway', 'tls-cert.pem');
      const certificate = await readFile(certPath, 'utf8').then(
        (pem) => {
          const x509 = new X509Certificate(pem);
          return { path: certPath, fingerprintSha256: x509.fingerprint256, validTo: x509.validTo };
        },
        () => undefined,
      );
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
      const status = {
        dataDir: cli.config.dataDir,
        setUp: await cli.keyManager.isSetUp(),
        disk,
        services,
        supervisor: supervised ?? null,
        withoutSupervisor: leftBehind.map(({ name, pid }) => ({ name, pid })),
        gateway: certificate ?? null,
      };
      if (options.json) {
        cli.out(JSON.stringify(status, null, 2));
        return;
      }
      if (space.known && space.full) cli.out(diskLine(cli.config.dataDir, space));
      if (supervised) {
        cli.out('app        state      pid      uptime     restarts  memory');
        for (const app of supervised) {
          cli.out(
            `${app.name.padEnd(10)} ${app.state.padEnd(10)} ${String(app.pid || '-').padEnd(8)} ${`${Math.round(app.uptimeMs / 1000)} s`.padEnd(10)} ${String(app.restarts).padEnd(9)} ${app.memoryBytes ? `${Math.round(app.memoryBytes / 2 ** 20)} MiB` : '-'}${app.reason ? `  (${app.reason})` : ''}`,
          );
        }
      } else {
        if (leftBehind.length > 0) cli.out(`supervisor not running, but aico apps it started still run: ${describeApps(leftBehind)} ("aico stop" stops them)`);
        cli.out('supervisor not running ("aico start"); services answering on the bus:');
      }
      for (const entry of services) cli.out(`${entry.service.padEnd(10)} ${entry.up ? `up    ${entry.roundTripMs} ms` : 'not answering'}`);
      cli.out(`set up     ${status.setUp ? 'yes' : 'no (run "aico setup")'}`);
      if (!space.known || !space.full) cli.out(diskLine(cli.config.dataDir, space));
      cli.out(
        certificate
          ? `gateway TLS certificate SHA-256 ${certificate.fingerprintSha256} (valid to ${certificate.validTo})`
          : 'gateway    no certificate yet (the gateway makes one at first start)',
      );
    });
}
