// `aico chat [--user NAME] [--thread ID | --new] [--list] [message]`: talk with the companion in the terminal, like
// `ollama run`. The reply streams to stdout as the model writes it (its deltas in sequence order). Interactive when
// stdin is a terminal and no message is given: Ctrl-C during a reply stops it (the partial text is kept, marked
// stopped), Ctrl-C at the prompt or Ctrl-D leaves. A message on the command line, or piped into stdin, is answered
// once and the command exits (scriptable): 0 when the reply completed, 130 when Ctrl-C stopped it, else the exit
// code of its error (exit-codes.ts, conversationExitCode). Without --thread or --new it continues the user's most
// recently updated thread. --user names the user; without it, the only user there is.
import { createInterface, type Interface } from 'node:readline';
import type { Command } from 'commander';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { type BusClient } from '@aico/bus';
import { MAX_CONVERSATION_MESSAGE_CHARS, RecordKind, type Thread } from '@aico/contracts';
import { StorageClient } from '@aico/storage-client';
import { withBus } from '../bus-connection';
import { ChatSession, failedReplyError, isFailed, isStopped } from '../chat/chat-session';
import type { ReplyOutput } from '../chat/reply-printer';
import type { CliContext } from '../cli-context';
import { CliError, ExitCode } from '../exit-codes';

/** What a shell reports for a command ended by SIGINT. */
export const INTERRUPTED_EXIT = 130;
const DEFAULT_TIMEOUT_SECONDS = 600;
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/;

interface ChatOptions {
  user?: string;
  thread?: string;
  new?: boolean;
  list?: boolean;
  timeout: string;
}

export function registerChat(program: Command, context: () => CliContext): void {
  program
    .command('chat [message...]')
    .description('talk with the companion (interactive; or answer one message given here or piped to stdin, then exit)')
    .option('--user <name>', 'the user to chat as (default: the only user)')
    .option('--thread <id>', 'continue this thread')
    .option('--new', 'start a new thread (default: continue the most recent one)')
    .option('--list', "list the user's threads and exit")
    .option('--timeout <seconds>', 'give up on a reply after this long', String(DEFAULT_TIMEOUT_SECONDS))
    .action(async (words: string[], options: ChatOptions) => {
      if (options.thread !== undefined && options.new) throw new CliError('Use --thread ID or --new, not both.', ExitCode.Usage);
      const timeoutSeconds = Number(options.timeout);
      if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1)
        throw new CliError(`--timeout takes a whole number of seconds, not "${options.timeout}".`, ExitCode.Usage);
      const cli = context();
      const message = words.length > 0 ? words.join(' ') : undefined;
      const interactive = message === undefined && !options.list && process.stdin.isTTY === true;
      // A message piped in: read before connecting, so a slow writer does not hold the bus connection.
      const piped = message === undefined && !options.list && !interactive ? await readStdin() : undefined;
      let session: ChatSession | undefined;
      const code = await withBus(
        cli,
        async (bus) => {
          const userId = await chooseUser(bus, options.user);
          session = new ChatSession(bus, userId, '');
          if (options.list) return listThreads(cli, await session.threads(100));
          session.threadId = await chooseThread(session, options);
          const timeoutMs = timeoutSeconds * 1_000;
          if (!interactive) return answerOnce(cli, session, (message ?? piped ?? '').trim(), timeoutMs);
          return converse(cli, session, timeoutMs);
        },
        { beforeConnect: (bus) => ChatSession.follow(bus, () => session) },
      );
      if (code !== ExitCode.Ok) process.exitCode = code;
    });
}

/** The user named by --user, or the only one there is; a clear error listing the choices otherwise. */
export async function chooseUser(bus: BusClient, name: string | undefined): Promise<string> {
  const storage = new StorageClient(bus, { deadlineMs: 10_000 });
  if (name !== undefined) {
    if (!USERNAME.test(name)) throw new CliError(`"${name}" is not a username (2-64 letters, digits, dots, dashes or underscores).`, ExitCode.Usage);
    const id = name.toLowerCase();
    const found = await storage.getRecord(RecordKind.USER, id);
    if (found.record?.kind.case !== 'user') throw new CliError(`No user "${name}" ("aico users list" shows them).`, ExitCode.NoInput);
    if (found.record.kind.value.disabled) throw new CliError(`The user "${name}" is disabled.`, ExitCode.Failure);
    return id;
  }
  const users: string[] = [];
  for await (const record of storage.allRecords(RecordKind.USER))
    if (record.kind.case === 'user' && !record.kind.value.disabled) users.push(record.kind.value.username);
  if (users.length === 1) return users[0]!.toLowerCase();
  if (users.length === 0)
    throw new CliError('There is no user yet: create one with "aico users add NAME --role admin" (or in the browser on first start).', ExitCode.NoInput);
  throw new CliError(`There are ${users.length} users: choose one with --user NAME (${users.sort().join(', ')}).`, ExitCode.Usage);
}

async function chooseThread(session: ChatSession, options: ChatOptions): Promise<string> {
  if (options.new) return '';
  if (options.thread !== undefined) {
    const thread = await session.thread(options.thread);
    return thread?.id ?? options.thread;
  }
  const [latest] = await session.threads(1);
  return latest?.id ?? '';
}

function listThreads(cli: CliContext, threads: readonly Thread[]): ExitCode {
  if (threads.length === 0) {
    cli.out('No threads yet: "aico chat" starts one.');
    return ExitCode.Ok;
  }
  for (const thread of threads) {
    const updated = thread.updatedAt ? new Date(timestampMs(thread.updatedAt)).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
    cli.out(`${thread.id}\t${updated}\t${thread.messageCount} messages\t${thread.title || '(untitled)'}`);
  }
  return ExitCode.Ok;
}

function terminalOutput(cli: CliContext): ReplyOutput {
  return { text: (piece) => (cli.write ?? ((text: string) => void process.stdout.write(text)))(piece), waiting: (line) => cli.progress(line) };
}

function checkMessage(text: string): void {
  if (text === '') throw new CliError('The message is empty.', ExitCode.Usage);
  if (text.length > MAX_CONVERSATION_MESSAGE_CHARS)
    throw new CliError(`A message may have at most ${MAX_CONVERSATION_MESSAGE_CHARS} characters; this one has ${text.length}.`, ExitCode.Usage);
}

/** One message, one reply, then exit: Ctrl-C stops the reply (130), a second one leaves at once. */
async function answerOnce(cli: CliContext, session: ChatSession, text: string, timeoutMs: number): Promise<number> {
  checkMessage(text);
  const stop = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(INTERRUPTED_EXIT);
    cli.progress('\nStopping the reply (Ctrl-C again to leave at once)…');
    stop.abort();
  };
  process.on('SIGINT', onSigint);
  const write = terminalOutput(cli);
  try {
    const { completed, stoppedByUs } = await session.ask(text, write, stop.signal, timeoutMs);
    write.text('\n');
    if (isStopped(completed)) return stoppedByUs ? INTERRUPTED_EXIT : (cli.progress('aico: the reply was stopped (from another front end).'), ExitCode.Failure);
    if (isFailed(completed)) throw failedReplyError(completed);
    return ExitCode.Ok;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The interactive loop: a prompt, a reply, again; Ctrl-C stops a reply or, at the prompt, leaves; so does Ctrl-D. */
async function converse(cli: CliContext, session: ChatSession, timeoutMs: number): Promise<number> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true, historySize: 100 });
  cli.progress(
    session.threadId
      ? `Continuing thread ${session.threadId} (--new starts another). Ctrl-C stops a reply; Ctrl-D or Ctrl-C at the prompt leaves.`
      : 'A new thread. Ctrl-C stops a reply; Ctrl-D or Ctrl-C at the prompt leaves.',
  );
  let replying: AbortController | undefined;
  let closed = false;
  rl.on('SIGINT', () => {
    if (replying) {
      if (!replying.signal.aborted) cli.progress('\nStopping the reply…');
      replying.abort();
    } else rl.close();
  });
  rl.on('close', () => {
    closed = true;
    replying?.abort();
  });
  const write = terminalOutput(cli);
  try {
    for (;;) {
      const line = await prompt(rl);
      if (line === undefined || closed) return ExitCode.Ok;
      const text = line.trim();
      if (text === '') continue;
      if (text.length > MAX_CONVERSATION_MESSAGE_CHARS) {
        cli.progress(`aico: a message may have at most ${MAX_CONVERSATION_MESSAGE_CHARS} characters; this one has ${text.length}.`);
        continue;
      }
      replying = new AbortController();
      try {
        const { completed } = await session.ask(text, write, replying.signal, timeoutMs);
        write.text('\n');
        if (isStopped(completed)) cli.progress('(stopped)');
        else if (isFailed(completed)) cli.progress(`aico: ${failedReplyError(completed).message}`);
      } catch (error) {
        // A refused message or a reply that never completed: say so and keep the conversation open.
        if (!(error instanceof CliError) || error.exitCode === ExitCode.Unavailable) throw error;
        cli.progress(`aico: ${error.message}`);
      } finally {
        replying = undefined;
      }
      if (closed) return ExitCode.Ok;
    }
  } finally {
    rl.close();
  }
}

function prompt(rl: Interface): Promise<string | undefined> {
  return new Promise((resolve) => {
    const onClose = () => resolve(undefined);
    rl.once('close', onClose);
    rl.question('>>> ', (answer) => {
      rl.off('close', onClose);
      resolve(answer);
    });
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    // A few bytes per character at most: past this the message is too long anyway (said by checkMessage).
    if (size > MAX_CONVERSATION_MESSAGE_CHARS * 4 + 4) break;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
