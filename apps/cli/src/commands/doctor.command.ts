// `aico doctor`: checks the machine and the installation (Node.js, keychain and master key, data directory, ports,
// bus handshake, services, database) and says for each ok / warn / fail with what to do. Exits 1 when one fails.
import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import type { CheckResult, CheckStatus } from '../doctor/doctor-check';
import { createDoctorEnvironment, runDoctor, type DoctorEnvironment } from '../doctor/doctor';
import { CliError, ExitCode } from '../exit-codes';

const NAME_WIDTH = 20;

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function printText(cli: CliContext, results: readonly CheckResult[], counts: Record<CheckStatus, number>): void {
  cli.out(`aico doctor: ${cli.config.dataDir} (${cli.config.profile} profile)`);
  for (const result of results) {
    cli.out(`${result.status.padEnd(5)} ${result.name.padEnd(NAME_WIDTH)} ${result.detail}`);
    if (result.fix) cli.out(`${' '.repeat(6 + NAME_WIDTH)} fix: ${result.fix}`);
  }
  cli.out(`${counts.ok} ok, ${plural(counts.warn, 'warning')}, ${plural(counts.fail, 'failure')}.`);
}

export function registerDoctor(program: Command, context: () => CliContext, environment: () => DoctorEnvironment = () => createDoctorEnvironment()): void {
  program
    .command('doctor')
    .description('check this machine and installation (Node.js, keychain, data directory, ports, bus, services, database)')
    .option('--json', 'print JSON: { ok, dataDir, profile, summary, checks: [{ name, status, detail, fix? }] }')
    .addHelpText('after', '\nExit status: 0 when no check fails (warnings allowed); 1 when at least one check fails.')
    .action(async (options: { json?: boolean }) => {
      const cli = context();
      const results = await runDoctor(cli.config, environment(), options.json ? undefined : cli.progress);
      const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0 };
      for (const result of results) counts[result.status]++;
      if (options.json) {
        cli.out(JSON.stringify({ ok: counts.fail === 0, dataDir: cli.config.dataDir, profile: cli.config.profile, summary: counts, checks: results }, null, 2));
      } else {
        printText(cli, results, counts);
      }
      if (counts.fail > 0) throw new CliError(`${plural(counts.fail, 'check')} failed; each one says what to do.`, ExitCode.Failure);
    });
}
