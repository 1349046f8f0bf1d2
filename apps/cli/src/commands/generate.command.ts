// `aico generate [--raw] [--model NAME] [--max-tokens N] [--temperature T] [--seed S] [--verbose] "prompt"`: a
// completion from the models service, streamed to stdout as the model writes it (then a newline). Without --raw the
// prompt is a user message through the model's chat template; with it, the text is completed as it is. Where the
// request waits (queue position, admission, loading) goes to stderr; --verbose adds the usage at the end. Ctrl-C
// stops the model (the text so far is printed) and exits 130; a second Ctrl-C leaves at once. Should the models app
// die mid-generation, the supervisor's crash report ends the command at once (exit 69, RESPONDER_GONE) instead of
// the bus's idle timeout (STREAM_STALLED, seconds later), which stays the fallback when no supervisor runs.
import type { Command } from 'commander';
import { BusError, BusErrorCode, RemoteError, type BusClient } from '@aico/bus';
import { JobClass, ModelsTopics, StopReason, SupervisedAppState, SupervisorTopics, type GenerateDelta, type GenerateResult } from '@aico/contracts';
import { withBus } from '../bus-connection';
import type { CliContext } from '../cli-context';
import { CliError, ExitCode, modelsExitCode } from '../exit-codes';

/** What a shell reports for a command ended by SIGINT. */
const INTERRUPTED_EXIT = 130;
const DEFAULT_TIMEOUT_SECONDS = 600;

interface GenerateOptions {
  raw?: boolean;
  model?: string;
  maxTokens?: string;
  temperature?: string;
  seed?: string;
  timeout: string;
  verbose?: boolean;
}

export function registerGenerate(program: Command, context: () => CliContext): void {
  program
    .command('generate <prompt>')
    .description('let the model answer a prompt (a chat message; --raw: complete the text as it is), streamed to stdout')
    .option('--raw', 'complete the prompt as it is, without the chat template')
    .option('--model <name>', 'a catalog model (default: the one in use for chat)')
    .option('--max-tokens <n>', 'at most this many tokens of answer')
    .option('--temperature <t>', 'sampling temperature, 0 (greedy) to 2')
    .option('--seed <s>', 'random seed for sampling')
    .option('--timeout <seconds>', 'give up after this long, waiting included', String(DEFAULT_TIMEOUT_SECONDS))
    .option('--verbose', 'print the usage (tokens, waiting, first token, speed) to stderr at the end')
    .action(async (prompt: string, options: GenerateOptions) => {
      const request = toRequest(prompt, options);
      const timeoutMs = wholeNumber(options.timeout, '--timeout', 1) * 1_000;
      const cli = context();
      const code = await withBus(cli, (bus) => generate(cli, options, (hooks) => bus.requestStream(ModelsTopics.generate, request, { timeoutMs, ...hooks })), {
        // Subscribed before connecting: the connect handshake proves the subscription reached the bus.
        beforeConnect: followModelsCrashes,
      });
      if (code !== ExitCode.Ok) process.exitCode = code;
    });
}

type Hooks = { onDelta: (delta: GenerateDelta) => void; stopSignal: AbortSignal; signal: AbortSignal };

/**
 * Ends the generation with RESPONDER_GONE when the supervisor reports the models app crashed (backoff, or failed for
 * good): the bus client abandons the stream (the request, if not answered yet, reached no one either, since the
 * restarted app starts after the report). A graceful stop is not a crash: the stopping app answers with its own error.
 */
function followModelsCrashes(bus: BusClient): void {
  bus.subscribe(SupervisorTopics.appChanged, ({ payload: { app } }) => {
    if (app?.name !== 'models' || (app.state !== SupervisedAppState.BACKOFF && app.state !== SupervisedAppState.FAILED)) return;
    bus.abandonStreamsFrom('models', app.lastExit ? `it ended: ${app.lastExit}` : 'it ended');
  });
}

async function generate(cli: CliContext, options: GenerateOptions, send: (hooks: Hooks) => Promise<GenerateResult>): Promise<number> {
  const stop = new AbortController();
  const abort = new AbortController();
  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) {
      abort.abort();
      return;
    }
    interrupted = true;
    cli.progress('\nStopping (Ctrl-C again to leave at once)…');
    stop.abort();
  };
  process.on('SIGINT', onSigint);
  let printed = '';
  let lastWaiting = '';
  try {
    const result = await send({
      stopSignal: stop.signal,
      signal: abort.signal,
      onDelta: (delta) => {
        if (delta.kind.case === 'text') {
          printed += delta.kind.value;
          process.stdout.write(delta.kind.value);
        } else if (delta.kind.case === 'waiting') {
          const { stage, position, reason } = delta.kind.value;
          const line = `waiting (${stage}${position > 0 ? `, position ${position}` : ''}): ${reason}`;
          if (line !== lastWaiting) cli.progress(line);
          lastWaiting = line;
        }
      },
    });
    // Deltas lost on the way would leave the screen short of the answer: print what is missing.
    if (result.text.startsWith(printed) && result.text.length > printed.length) process.stdout.write(result.text.slice(printed.length));
    process.stdout.write('\n');
    if (options.verbose) cli.progress(usageLine(result));
    return outcome(cli, result, interrupted);
  } catch (error) {
    if (printed) process.stdout.write('\n');
    if (interrupted && error instanceof BusError && error.code === BusErrorCode.Cancelled) return INTERRUPTED_EXIT;
    if (error instanceof BusError && error.code === BusErrorCode.ResponderGone) throw new CliError(describe(error), ExitCode.Unavailable);
    if (error instanceof RemoteError || error instanceof BusError) throw new CliError(describe(error), modelsExitCode(error));
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function outcome(cli: CliContext, result: GenerateResult, interrupted: boolean): number {
  switch (result.stopReason) {
    case StopReason.END_OF_SEQUENCE:
    case StopReason.MAX_TOKENS:
    case StopReason.STOP_STRING:
      return ExitCode.Ok;
    case StopReason.CANCELLED:
      if (interrupted) return INTERRUPTED_EXIT;
      cli.progress('aico: the generation was cancelled (by an operator or the monitor).');
      return ExitCode.Failure;
    case StopReason.DEADLINE:
      cli.progress('aico: the generation ran out of time (--timeout); the text above is what came before.');
      return ExitCode.TryLater;
    case StopReason.UNLOADED:
      cli.progress('aico: resources became critical and the model was unloaded; try again when they recover.');
      return ExitCode.TryLater;
    case StopReason.ERROR:
    case StopReason.UNSPECIFIED:
      cli.progress(`aico: the generation failed: ${result.error || 'no reason given'}`);
      return ExitCode.Failure;
  }
}

function describe(error: RemoteError | BusError): string {
  if (error.code === BusErrorCode.ResponderGone) {
    const how = /\(it ended: ([^;]+);/.exec(error.message)?.[1];
    return `The models app ended${how ? ` (${how})` : ''} in the middle of the generation; the supervisor restarts it: try again in a moment ("aico status" shows it) (${error.code}).`;
  }
  if (error.code === BusErrorCode.StreamStalled)
    return `The models service stopped answering (${error.message}). Is aico running with the models app ("aico status")? (${error.code})`;
  return `${error.message} (${error.code})`;
}

function usageLine(result: GenerateResult): string {
  const usage = result.usage;
  if (!usage) return `model ${result.model}`;
  return `model ${result.model}: ${usage.promptTokens} prompt + ${usage.completionTokens} completion tokens, waited ${usage.queuedMs} ms, first token after ${usage.timeToFirstTokenMs} ms, ${usage.tokensPerSecond} tokens/s, stop: ${stopName(result.stopReason)}`;
}

function stopName(reason: StopReason): string {
  return StopReason[reason]?.toLowerCase().replace(/_/g, ' ') ?? 'unknown';
}

function toRequest(prompt: string, options: GenerateOptions) {
  if (prompt === '') throw new CliError('The prompt is empty.', ExitCode.Usage);
  return {
    input: options.raw ? { case: 'prompt' as const, value: prompt } : { case: 'chat' as const, value: { messages: [{ role: 'user', content: prompt }] } },
    model: options.model ?? '',
    ...(options.maxTokens !== undefined ? { maxTokens: wholeNumber(options.maxTokens, '--max-tokens', 1) } : {}),
    ...(options.temperature !== undefined ? { temperature: decimal(options.temperature, '--temperature', 0, 2) } : {}),
    ...(options.seed !== undefined ? { seed: wholeNumber(options.seed, '--seed', 0) } : {}),
    // A person waits at the terminal.
    jobClass: JobClass.INTERACTIVE,
  };
}

function wholeNumber(text: string, flag: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > 0xffffffff)
    throw new CliError(`${flag} takes a whole number from ${min}, not "${text}".`, ExitCode.Usage);
  return value;
}

function decimal(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max)
    throw new CliError(`${flag} takes a number from ${min} to ${max}, not "${text}".`, ExitCode.Usage);
  return value;
}
