// A terminal conversation with the companion over the bus, as one user: send a message into a thread, then follow
// that reply's events (the bus carries every user's; only this reply's are taken) until it completes. Events are
// taken from before the message is sent, so deltas that overtake the send's answer are not lost. Stop asks the
// conversation service to stop the reply; should the conversation app die mid-reply, the supervisor's crash report
// ends the wait at once.
import { BusErrorCode, RemoteError, type BusClient } from '@aico/bus';
import {
  ConversationErrorCode,
  ConversationTopics,
  MessageStatus,
  SupervisedAppState,
  SupervisorTopics,
  type ReplyCompleted,
  type ReplyDelta,
  type Thread,
} from '@aico/contracts';
import { CliError, ExitCode, conversationExitCode } from '../exit-codes';
import { ReplyPrinter, type ReplyOutput } from './reply-printer';

/** Events of replies whose id is not known yet (the send has not answered), kept until it is: a bounded few. */
const MAX_EARLY_EVENTS = 10_000;

export interface ReplyOutcome {
  readonly completed: ReplyCompleted;
  readonly stoppedByUs: boolean;
}

type Early = { delta: ReplyDelta } | { completed: ReplyCompleted };

export class ChatSession {
  private printer: ReplyPrinter | undefined;
  private early: Early[] = [];
  private sending = false;
  private settle: { resolve: (completed: ReplyCompleted) => void; reject: (error: Error) => void } | undefined;

  constructor(
    private readonly bus: BusClient,
    readonly userId: string,
    public threadId: string,
  ) {}

  /** Subscribes to replies and to app crashes; call before the bus connects (the handshake proves the subscriptions). */
  static follow(bus: BusClient, session: () => ChatSession | undefined): void {
    bus.subscribe(ConversationTopics.replyDelta, ({ payload }) => session()?.onDelta(payload));
    bus.subscribe(ConversationTopics.replyCompleted, ({ payload }) => session()?.onCompleted(payload));
    bus.subscribe(SupervisorTopics.appChanged, ({ payload: { app } }) => {
      if (app?.name !== 'conversation' || (app.state !== SupervisedAppState.BACKOFF && app.state !== SupervisedAppState.FAILED)) return;
      session()?.fail(
        new CliError(
          `The conversation app ended${app.lastExit ? ` (${app.lastExit})` : ''} in the middle of the reply; the supervisor restarts it: try again in a moment ("aico status" shows it).`,
          ExitCode.Unavailable,
        ),
      );
    });
  }

  /**
   * Sends `text` and prints the reply as it streams. `stop` (Ctrl-C) asks the service to stop the reply; the answer
   * is the completion (STOPPED with its partial text then). Rejects with a CliError for a refused message, a reply
   * that did not complete within `timeoutMs`, or a conversation app that died.
   */
  async ask(text: string, output: ReplyOutput, stop: AbortSignal, timeoutMs: number): Promise<ReplyOutcome> {
    this.early = [];
    this.sending = true;
    let sent;
    try {
      sent = await this.bus.request(
        ConversationTopics.messageSend,
        { userId: this.userId, threadId: this.threadId, text, client: 'cli' },
        { attributes: { user: this.userId } },
      );
    } catch (error) {
      throw asCliError(error);
    } finally {
      this.sending = false;
    }
    if (sent.thread) this.threadId = sent.thread.id;
    const printer = new ReplyPrinter(sent.replyId, output);
    const completion = new Promise<ReplyCompleted>((resolve, reject) => (this.settle = { resolve, reject }));
    this.printer = printer;
    for (const event of this.early) {
      if ('delta' in event) this.onDelta(event.delta);
      else this.onCompleted(event.completed);
    }
    this.early = [];
    let stoppedByUs = false;
    const onStop = () => {
      stoppedByUs = true;
      this.bus
        .request(ConversationTopics.replyStop, { userId: this.userId, threadId: this.threadId, replyId: sent.replyId }, { attributes: { user: this.userId } })
        .catch((error: unknown) => {
          // It ended on its own meanwhile: its completion is on the way.
          if ((error as { code?: string }).code !== ConversationErrorCode.ReplyNotRunning) this.fail(asCliError(error));
        });
    };
    if (stop.aborted) onStop();
    else stop.addEventListener('abort', onStop, { once: true });
    const timer = setTimeout(
      () => this.fail(new CliError(`No complete reply within ${Math.round(timeoutMs / 1000)} s (--timeout); the text above is what came.`, ExitCode.TryLater)),
      timeoutMs,
    );
    try {
      const completed = await completion;
      return { completed, stoppedByUs };
    } finally {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
      this.printer = undefined;
      this.settle = undefined;
    }
  }

  async threads(limit: number): Promise<Thread[]> {
    try {
      return (await this.bus.request(ConversationTopics.threadsList, { userId: this.userId, limit }, { attributes: { user: this.userId } })).threads;
    } catch (error) {
      throw asCliError(error);
    }
  }

  /** Checks that the thread is the user's (404 otherwise) and answers it. */
  async thread(threadId: string): Promise<Thread | undefined> {
    try {
      return (await this.bus.request(ConversationTopics.threadGet, { userId: this.userId, threadId }, { attributes: { user: this.userId } })).thread;
    } catch (error) {
      throw asCliError(error);
    }
  }

  private onDelta(delta: ReplyDelta): void {
    if (delta.userId !== this.userId) return;
    if (this.printer) this.printer.delta(delta);
    else if (this.sending && this.early.length < MAX_EARLY_EVENTS) this.early.push({ delta });
  }

  private onCompleted(completed: ReplyCompleted): void {
    if (completed.userId !== this.userId) return;
    if (!this.printer) {
      if (this.sending && this.early.length < MAX_EARLY_EVENTS) this.early.push({ completed });
      return;
    }
    if (completed.replyId !== this.printer.replyId) return;
    this.printer.complete(completed);
    this.settle?.resolve(completed);
  }

  private fail(error: Error): void {
    this.settle?.reject(error);
  }
}

/** A failed reply's error as the CLI reports it, with the exit code of its code. */
export function failedReplyError(completed: ReplyCompleted): CliError {
  return new CliError(
    `The reply failed: ${completed.errorMessage || 'no reason given'} (${completed.errorCode || 'no code'})`,
    conversationExitCode({ code: completed.errorCode }),
  );
}

export function asCliError(error: unknown): Error {
  if (error instanceof CliError) return error;
  const coded = error as { code?: string; message?: string };
  if (typeof coded.code !== 'string') return error as Error;
  if (coded.code === BusErrorCode.NoHandler || coded.code === BusErrorCode.DeadlineExceeded) {
    return new CliError(
      `The conversation service did not answer (${coded.code}): is aico running with the conversation app ("aico status")?`,
      ExitCode.Unavailable,
    );
  }
  return new CliError(`${coded.message ?? 'failed'} (${coded.code})`, conversationExitCode(error instanceof RemoteError ? error : { code: coded.code }));
}

export const isStopped = (completed: ReplyCompleted) => completed.status === MessageStatus.STOPPED;
export const isFailed = (completed: ReplyCompleted) => completed.status === MessageStatus.FAILED;
