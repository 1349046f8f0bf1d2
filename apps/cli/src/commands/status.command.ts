// `aico status`: the supervisor's apps (state, pid, uptime, restarts, memory), which services answer on the bus (a
// ping to each, with its round trip), whether aico is set up, and the gateway certificate fingerprint (what a front
// end pins).
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SERVICE_IDENTITIES, SupervisedAppState, SupervisorTopics, SystemTopics } from '@aico/contracts';
import { withBus } from '../bus-connection';
import type { CliContext } from '../cli-context';

const SERVICES = SERVICE_IDENTITIES.filter((identity) => !['bus', 'cli', 'supervisor'].includes(identity));

export function registerStatus(program: Command, context: () => CliContext): void {
  program
    .command('status')
    .description('services answering on the bus, setup state, and the gateway certificate fingerprint')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const cli = context();
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
              await bus.request(SystemTopics.ping, { target: service }, { timeoutMs: 1_500 });
              return { service, up: true, roundTripMs: Number((performance.now() - started).toFixed(2)) };
            } catch {
              return { service, up: false };
            }
          }),
          ),
          bus.request(SupervisorTopics.status, {}, { timeoutMs: 1_500 }).then(
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
      );
      const status = { dataDir: cli.config.dataDir, setUp: await cli.keyManager.isSetUp(), services, supervisor: supervised ?? null, gateway: certificate ?? null };
      if (options.json) {
        cli.out(JSON.stringify(status, null, 2));
        return;
      }
      if (supervised) {
        cli.out('app        state      pid      uptime     restarts  memory');
        for (const app of supervised) {
          cli.out(`${app.name.padEnd(10)} ${app.state.padEnd(10)} ${String(app.pid || '-').padEnd(8)} ${`${Math.round(app.uptimeMs / 1000)} s`.padEnd(10)} ${String(app.restarts).padEnd(9)} ${app.memoryBytes ? `${Math.round(app.memoryBytes / 2 ** 20)} MiB` : '-'}${app.reason ? `  (${app.reason})` : ''}`);
        }
      } else {
        cli.out('supervisor not running ("aico start"); services answering on the bus:');
      }
      for (const entry of services) cli.out(`${entry.service.padEnd(10)} ${entry.up ? `up    ${entry.roundTripMs} ms` : 'not answering'}`);
      cli.out(`set up     ${status.setUp ? 'yes' : 'no (run "aico setup")'}`);
      cli.out(certificate ? `gateway TLS certificate SHA-256 ${certificate.fingerprintSha256} (valid to ${certificate.validTo})` : 'gateway    no certificate yet (the gateway makes one at first start)');
    });
}
