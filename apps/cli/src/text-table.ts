// The CLI's tables (\`aico models\`, \`aico tasks\`): columns padded to their widest cell, two spaces apart, the last
// column left as it is so long text (a reason, a path) is not padded.
import type { CliContext } from './cli-context';

export function printTable(cli: CliContext, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  for (const row of [header, ...rows])
    cli.out(
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  ')
        .trimEnd(),
    );
}
