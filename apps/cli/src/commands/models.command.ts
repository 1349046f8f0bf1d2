// `aico models list | import <file.gguf> | pull <url|hf:owner/repo/file.gguf> | remove <name> | use <name>`: the
// model catalog of the models service over the bus. The models service must answer a ping first, so one that is not
// running fails in seconds with 69. Nothing is downloaded unless a person runs `aico models pull`.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { BusError, BusErrorCode, RemoteError, type BusClient } from '@aico/bus';
import { ModelPurpose, ModelsTopics, SystemTopics, type CatalogModel, type PullProgress } from '@aico/contracts';
import { withBus } from '../bus-connection';
import type { CliContext } from '../cli-context';
import { printTable } from '../text-table';
import { CliError, ExitCode, modelsExitCode } from '../exit-codes';
import { formatBytes } from '../storage-operation';

const PING_TIMEOUT_MS = 3_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** Removing waits for the engine to unload the model, which waits for a running generation's next token. */
const REMOVE_TIMEOUT_MS = 120_000;
/** Copying a model of many gigabytes on a slow disk. */
const IMPORT_TIMEOUT_MS = 60 * 60_000;
/** A pull of a large model on a slow line; past it the service stops the download and keeps it for a resume. */
const DEFAULT_PULL_TIMEOUT_MINUTES = 12 * 60;

const PURPOSES: Readonly<Record<string, ModelPurpose>> = { chat: ModelPurpose.CHAT, background: ModelPurpose.BACKGROUND, embedding: ModelPurpose.EMBEDDING };

export function registerModels(program: Command, context: () => CliContext): void {
  const models = program.command('models').description('the model catalog: list, import, pull, remove, choose what each purpose uses');

  models
    .command('list')
    .description('every model with what its GGUF file says (architecture, parameters, quantization, context), and what it is used for')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => listModels(context(), options));

  models
    .command('import <file>')
    .description('copy a local GGUF file into the catalog (for machines without a network); it is checked first')
    .option('--name <name>', 'the catalog name (default: from the file name)')
    .option('--sha256 <hex>', 'refuse the file unless it has this SHA-256')
    .action(async (file: string, options: { name?: string; sha256?: string }) => {
      const cli = context();
      // The service does not know this shell's working directory.
      const path = resolve(file);
      const { model } = await withModels(cli, (bus) =>
        bus.request(ModelsTopics.catalogImport, { path, name: options.name ?? '', sha256: options.sha256 ?? '' }, { timeoutMs: IMPORT_TIMEOUT_MS }),
      );
      report(cli, 'Imported', model!);
    });

  models
    .command('pull <source>')
    .description('download a GGUF model (an https URL, or hf:<owner>/<repo>/<file>.gguf): resumable, SHA-256 checked')
    .option('--sha256 <hex>', 'the SHA-256 the model page lists; a mismatch keeps nothing')
    .option('--name <name>', 'the catalog name (default: from the file name)')
    .option('--timeout <minutes>', 'give up after this long (what arrived is kept: pull again to resume)', String(DEFAULT_PULL_TIMEOUT_MINUTES))
    .action((source: string, options: PullOptions) => pullModel(context(), source, options));

  models
    .command('remove <name>')
    .description('remove a model and its file (it is unloaded first)')
    .action(async (name: string) => {
      const cli = context();
      const { freedBytes } = await withModels(cli, (bus) => bus.request(ModelsTopics.catalogRemove, { name }, { timeoutMs: REMOVE_TIMEOUT_MS }));
      cli.out(`Removed ${name} (${formatBytes(Number(freedBytes))} freed).`);
    });

  models
    .command('use <name>')
    .description('make a model the one a purpose uses when a request names none')
    .option('--for <purpose>', 'chat, background or embedding', 'chat')
    .action(async (name: string, options: { for: string }) => {
      const purpose = PURPOSES[options.for];
      if (purpose === undefined) throw new CliError(`--for takes chat, background or embedding, not "${options.for}".`, ExitCode.Usage);
      const cli = context();
      await withModels(cli, (bus) => bus.request(ModelsTopics.catalogUse, { name, purpose }, { timeoutMs: REQUEST_TIMEOUT_MS }));
      cli.out(`${name} is now used for ${options.for}.`);
    });
}

/** `aico models list`: the catalog as a table (or JSON), and the models whose file is gone. */
async function listModels(cli: CliContext, options: { json?: boolean }): Promise<void> {
  const listing = await withModels(cli, (bus) => bus.request(ModelsTopics.catalogList, {}, { timeoutMs: REQUEST_TIMEOUT_MS }));
  const missing = new Set(listing.missingFiles);
  if (options.json) {
    cli.out(JSON.stringify({ modelsDir: listing.modelsDir, models: listing.models.map((model) => modelJson(model, missing.has(model.id))) }, null, 2));
    return;
  }
  if (listing.models.length === 0) {
    cli.out(
      `No models yet: "aico models import <file.gguf>", or "aico models pull <https URL | hf:owner/repo/file.gguf>". Models directory: ${listing.modelsDir}`,
    );
    return;
  }
  printTable(
    cli,
    ['NAME', 'ARCHITECTURE', 'PARAMETERS', 'QUANT', 'CONTEXT', 'SIZE', 'CHAT TEMPLATE', 'USED FOR'],
    listing.models.map((model) => [
      missing.has(model.id) ? `${model.id} (file missing)` : model.id,
      model.architecture,
      formatCount(model.parameters),
      model.quantization || '-',
      model.contextLength > 0 ? String(model.contextLength) : '-',
      formatBytes(Number(model.sizeBytes)),
      model.hasChatTemplate ? 'yes' : 'no',
      purposes(model) || '-',
    ]),
  );
  cli.out(`Models directory: ${listing.modelsDir}`);
  for (const name of listing.missingFiles) cli.out(`The file of ${name} is missing: import or pull it again, or "aico models remove ${name}".`);
}

interface PullOptions {
  readonly sha256?: string;
  readonly name?: string;
  readonly timeout: string;
}

/** `aico models pull`: streams the service's progress to stderr; Ctrl-C stops the download (kept for a resume). */
async function pullModel(cli: CliContext, source: string, options: PullOptions): Promise<void> {
  const minutes = Number(options.timeout);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 30 * 24 * 60)
    throw new CliError(`--timeout takes a whole number of minutes (1 to 43200), not "${options.timeout}".`, ExitCode.Usage);
  cli.progress(`Pulling ${source}${options.sha256 ? '' : ' (no --sha256 given: the file is checked as a GGUF model only)'}…`);
  const interrupted = new AbortController();
  const onInterrupt = () => interrupted.abort();
  process.once('SIGINT', onInterrupt);
  const { model } = await withModels(cli, (bus) =>
    bus.requestStream(
      ModelsTopics.catalogPull,
      { source, sha256: options.sha256 ?? '', name: options.name ?? '' },
      { timeoutMs: minutes * 60_000, signal: interrupted.signal, onDelta: progressPrinter(cli) },
    ),
  ).finally(() => process.off('SIGINT', onInterrupt));
  report(cli, 'Pulled', model!);
}

/** Prints the service's PullProgress: a line per phase and per 5 % of the download, not per delta. */
function progressPrinter(cli: CliContext): (progress: PullProgress) => void {
  let shown = '';
  return (progress) => {
    const total = Number(progress.totalBytes);
    const step = `${progress.phase}:${total > 0 ? Math.floor((Number(progress.doneBytes) * 20) / total) : ''}`;
    if (step === shown) return;
    shown = step;
    cli.progress(progressLine(progress));
  };
}

/** One line of a pull's progress, for stderr: phase, percent, a bar, bytes, and where a resume started. */
export function progressLine(progress: Pick<PullProgress, 'phase' | 'doneBytes' | 'totalBytes' | 'resumedFromBytes'>, width = 30): string {
  const done = Number(progress.doneBytes);
  const total = Number(progress.totalBytes);
  const resumed = progress.resumedFromBytes > 0n ? ` (resumed at ${formatBytes(Number(progress.resumedFromBytes))})` : '';
  if (total <= 0) return `${progress.phase.padEnd(11)} ${formatBytes(done)}${resumed}`;
  const share = Math.min(1, done / total);
  const filled = Math.round(share * width);
  return `${progress.phase.padEnd(11)} ${String(Math.floor(share * 100)).padStart(3)}% [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${formatBytes(done)} / ${formatBytes(total)}${resumed}`;
}

/** Runs `work` against the models service, mapping its refusals and its absence to exit codes. */
async function withModels<T>(cli: CliContext, work: (bus: BusClient) => Promise<T>): Promise<T> {
  try {
    return await withBus(cli, async (bus) => {
      await assertModelsAnswers(bus);
      return await work(bus);
    });
  } catch (error) {
    if (error instanceof RemoteError || error instanceof BusError) throw new CliError(`${error.message} (${error.code})`, modelsExitCode(error));
    throw error;
  }
}

async function assertModelsAnswers(bus: BusClient): Promise<void> {
  try {
    await bus.request(SystemTopics.ping, { target: 'models' }, { timeoutMs: PING_TIMEOUT_MS });
  } catch (error) {
    if ((error as { code?: unknown }).code !== BusErrorCode.DeadlineExceeded) throw error;
    throw new CliError(`The models service does not answer on the bus (no reply within ${PING_TIMEOUT_MS / 1_000} s). Is it running?`, ExitCode.Unavailable);
  }
}

function report(cli: CliContext, verb: string, model: CatalogModel): void {
  const facts = [
    model.architecture,
    `${formatCount(model.parameters)} parameters`,
    model.quantization,
    model.contextLength > 0 ? `context ${model.contextLength}` : '',
    model.hasChatTemplate ? 'chat template' : 'no chat template',
  ]
    .filter(Boolean)
    .join(', ');
  cli.out(`${verb} ${model.id} (${facts}), ${formatBytes(Number(model.sizeBytes))}, sha256 ${model.sha256}.`);
  cli.out(model.usedFor.length > 0 ? `It is used for ${purposes(model)}.` : `"aico models use ${model.id}" makes chat use it.`);
}

function purposes(model: CatalogModel): string {
  return model.usedFor.map(purposeName).join(', ');
}

function purposeName(purpose: ModelPurpose): string {
  switch (purpose) {
    case ModelPurpose.CHAT:
      return 'chat';
    case ModelPurpose.BACKGROUND:
      return 'background';
    case ModelPurpose.EMBEDDING:
      return 'embedding';
    case ModelPurpose.UNSPECIFIED:
      return 'unspecified';
  }
}

/** 127808 → 128K, 1543714304 → 1.5B. */
export function formatCount(count: bigint): string {
  const value = Number(count);
  for (const [unit, size] of [
    ['T', 1e12],
    ['B', 1e9],
    ['M', 1e6],
    ['K', 1e3],
  ] as const) {
    if (value >= size) return `${(value / size).toFixed(value >= size * 10 ? 0 : 1)}${unit}`;
  }
  return String(value);
}

function modelJson(model: CatalogModel, fileMissing: boolean) {
  return {
    name: model.id,
    file: model.file,
    fileMissing,
    sizeBytes: Number(model.sizeBytes),
    sha256: model.sha256,
    architecture: model.architecture,
    parameters: Number(model.parameters),
    quantization: model.quantization,
    contextLength: model.contextLength,
    hasChatTemplate: model.hasChatTemplate,
    embeddingLength: model.embeddingLength,
    blockCount: model.blockCount,
    displayName: model.displayName,
    source: model.source,
    addedAt: model.addedAt ? timestampDate(model.addedAt).toISOString() : null,
    usedFor: model.usedFor.map(purposeName),
  };
}
