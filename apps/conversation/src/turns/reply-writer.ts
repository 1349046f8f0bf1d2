// Writes one reply: the prompt (persona, memory where consented, the recent turns that fit), the interactive
// generation streamed to that user as numbered deltas, each finished sentence spoken by the avatar at once, then the
// stored reply (complete, stopped with its partial text, or failed with why) and the completion event.
import { Inject, Injectable } from '@nestjs/common';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { BusClient } from '@aico/bus';
import {
  ConversationTopics,
  GatewayTopics,
  JobClass,
  MessageRole,
  MessageStatus,
  ModelPurpose,
  ModelsTopics,
  ReplyCompletedSchema,
  StopReason,
  ThreadMessageSchema,
  type GenerateDelta,
  type GenerateResult,
  type Persona,
  type ThreadMessage,
} from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { ConversationError, ConversationErrorCode } from '../conversation.error';
import type { ConversationConfig } from '../conversation.config';
import { CONVERSATION_MEMORY, type ConversationMemoryPort } from '../memory/conversation-memory.port';
import { PersonaService } from '../persona/persona.service';
import { StorageThreadStore } from '../threads/storage-thread-store';
import { ThreadsService } from '../threads/threads.service';
import { InFlightReplies } from './in-flight-replies';
import { replyFailure } from './models-failure';
import { fitPromptWindow, type ChatTurn } from './prompt-window';
import type { ReplyRun } from './reply-run';
import { SentenceSplitter } from './sentence-splitter';

type Outcome = Pick<ThreadMessage, 'status' | 'stopReason' | 'text' | 'model' | 'errorCode' | 'errorMessage'> & { usage?: ThreadMessage['usage'] };

@Injectable()
export class ReplyWriter {
  private readonly logger: Logger;

  constructor(
    private readonly bus: BusClient,
    private readonly store: StorageThreadStore,
    private readonly persona: PersonaService,
    private readonly threads: ThreadsService,
    private readonly inFlight: InFlightReplies,
    @Inject(CONVERSATION_MEMORY) private readonly memory: ConversationMemoryPort,
    @Inject(SERVICE_CONFIG) private readonly config: ConversationConfig,
    @Inject(SERVICE_LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ context: 'ReplyWriter' });
  }

  /** Writes the reply whose placeholder (status streaming) is stored; `ended` runs once it is stored, before the completion event. */
  async write(run: ReplyRun, placeholder: ThreadMessage, latestText: string, ended: () => void): Promise<void> {
    const events = new ReplyEvents(this.bus, run);
    let streamed = '';
    let outcome: Outcome;
    // The text so far is saved now and then (one save at a time); the final save waits for the last one.
    let saving: Promise<void> | undefined;
    let savedAt = Date.now();
    const checkpoint = (): void => {
      if (saving || Date.now() - savedAt < this.config.conversation.checkpointMs) return;
      const partial = create(ThreadMessageSchema, { ...placeholder, text: streamed, updatedAt: timestampNow() });
      saving = this.store
        .putMessage(partial)
        .catch((error: unknown) => this.logger.warn({ err: error, replyId: run.replyId }, 'The reply so far was not saved'))
        .finally(() => {
          saving = undefined;
          savedAt = Date.now();
        });
    };
    try {
      const persona = await this.persona.current();
      const splitter = new SentenceSplitter();
      const result = await this.generate(run, persona, latestText, (delta) => {
        if (delta.kind.case === 'text') {
          streamed += delta.kind.value;
          events.delta({ case: 'text', value: delta.kind.value });
          checkpoint();
          // After a stop the avatar says nothing more (a few deltas may still come before the model stops).
          if (!run.stopRequested) for (const sentence of splitter.push(delta.kind.value)) events.speak(sentence, persona.expression);
        } else if (delta.kind.case === 'waiting') events.delta({ case: 'waiting', value: delta.kind.value });
      });
      outcome = result
        ? outcomeOf(result, run)
        : { status: MessageStatus.STOPPED, stopReason: StopReason.CANCELLED, text: '', model: '', errorCode: '', errorMessage: '' };
      if (!run.stopRequested && outcome.status === MessageStatus.COMPLETE) for (const sentence of splitter.flush()) events.speak(sentence, persona.expression);
    } catch (error) {
      const failure = replyFailure(error);
      if (!(error instanceof ConversationError)) this.logger.warn({ err: error, replyId: run.replyId, code: failure.code }, 'A reply failed');
      outcome = {
        status: MessageStatus.FAILED,
        stopReason: StopReason.ERROR,
        text: streamed,
        model: '',
        errorCode: failure.code,
        errorMessage: failure.message,
      };
    }
    await saving;
    const stored = create(ThreadMessageSchema, { ...placeholder, ...outcome, updatedAt: timestampNow() });
    await this.finish(run, stored, events.sequence, ended);
  }

  /** Stores the ended reply, frees the thread, tells the user, and hands the exchange to memory. */
  private async finish(run: ReplyRun, stored: ThreadMessage, deltas: number, ended: () => void): Promise<void> {
    try {
      await this.store.putMessage(stored);
      const thread = await this.store.updateThread(run.userId, run.threadId, (changed) => {
        changed.updatedAt = timestampNow();
      });
      this.threads.changed(run.userId, thread);
      // Only once the reply is stored: until then the next start must find it and mark it.
      await this.inFlight.remove(run.replyId);
    } catch (error) {
      this.logger.error({ err: error, replyId: run.replyId }, 'The ended reply could not be stored (or left the in-flight list); the next start marks it');
    }
    // Freed before the completion goes out: a front end may send the next message the moment it sees it.
    ended();
    await publishCompleted(this.bus, stored, deltas);
    if (stored.status === MessageStatus.FAILED) return;
    try {
      this.memory.exchangeCompleted(run.userId, run.threadId);
    } catch (error) {
      this.logger.warn({ err: error, replyId: run.replyId }, 'Memory did not take the exchange');
    }
  }

  /** The generation's final reply, or undefined when the user stopped the reply before it started. */
  private async generate(run: ReplyRun, persona: Persona, latestText: string, onDelta: (delta: GenerateDelta) => void): Promise<GenerateResult | undefined> {
    const turns = (await this.store.messages(run.threadId))
      .filter((message) => message.id !== run.replyId && inPrompt(message))
      .slice(-this.config.conversation.maxPromptTurns);
    // A failing memory must not cost the user the reply: it is answered without what memory would add.
    const memory = await this.memory.promptContext(run.userId, run.threadId, latestText).catch((error: unknown) => {
      this.logger.warn({ err: error, replyId: run.replyId }, 'Memory gave no prompt context; the reply is written without it');
      return [];
    });
    const maxTokens = persona.maxTokens || this.config.conversation.defaultMaxTokens;
    if (run.stopRequested) return undefined;
    let window: Awaited<ReturnType<typeof fitPromptWindow>>;
    try {
      window = await fitPromptWindow(systemTurn(persona, memory), turns.map(chatTurn), maxTokens, async (messages) => {
        // The first count after the models service starts loads its tokenizer (up to countTimeoutMs): a stop ends the wait.
        const counted = await this.bus.request(
          ModelsTopics.tokensCount,
          { input: { case: 'chat', value: { messages: [...messages] } }, purpose: ModelPurpose.CHAT },
          { timeoutMs: this.config.conversation.countTimeoutMs, signal: run.stopSignal },
        );
        return { tokens: counted.tokens, contextSize: counted.contextSize };
      });
    } catch (error) {
      if (run.stopRequested) return undefined;
      throw error;
    }
    const room = window.contextSize - window.promptTokens;
    if (room < 1) throw new ConversationError(ConversationErrorCode.MessageTooLong, "The message does not fit the model's context; send a shorter one.");
    if (run.stopRequested) return undefined;
    return this.bus.requestStream(
      ModelsTopics.generate,
      {
        input: { case: 'chat', value: { messages: window.messages } },
        purpose: ModelPurpose.CHAT,
        maxTokens: Math.min(maxTokens, room),
        ...(persona.temperature !== undefined ? { temperature: persona.temperature } : {}),
        ...(persona.topP !== undefined ? { topP: persona.topP } : {}),
        ...(persona.topK !== undefined ? { topK: persona.topK } : {}),
        // A person waits for it.
        jobClass: JobClass.INTERACTIVE,
        userId: run.userId,
      },
      {
        correlationId: run.generationId,
        timeoutMs: this.config.conversation.replyTimeoutMs,
        idleTimeoutMs: this.config.conversation.modelsIdleTimeoutMs,
        // Stop: the models service ends the generation at once and still answers with the text so far.
        stopSignal: run.stopSignal,
        onDelta,
      },
    );
  }
}

/** Publishes a reply's deltas (numbered 1, 2, … without gaps, text and waiting alike) and its speech, in order. */
class ReplyEvents {
  sequence = 0;

  constructor(
    private readonly bus: BusClient,
    private readonly run: ReplyRun,
  ) {}

  delta(kind: NonNullable<MessageInitShape<typeof ConversationTopics.replyDelta.payload>['kind']>): void {
    this.sequence++;
    const { userId, threadId, replyId } = this.run;
    void this.bus
      .publish(ConversationTopics.replyDelta, { userId, threadId, replyId, sequence: BigInt(this.sequence), kind }, { attributes: { user: userId } })
      .catch(() => undefined);
  }

  speak(text: string, expression: string): void {
    const { userId, threadId } = this.run;
    void this.bus
      .publish(GatewayTopics.avatarSpeak, { text, expression, userId, conversationId: threadId }, { attributes: { user: userId } })
      .catch(() => undefined);
  }
}

export async function publishCompleted(bus: BusClient, reply: ThreadMessage, deltas: number): Promise<void> {
  const completed = create(ReplyCompletedSchema, {
    userId: reply.ownerId,
    threadId: reply.threadId,
    replyId: reply.id,
    status: reply.status,
    stopReason: reply.stopReason,
    model: reply.model,
    text: reply.text,
    deltas: BigInt(deltas),
    errorCode: reply.errorCode,
    errorMessage: reply.errorMessage,
    ...(reply.usage ? { usage: reply.usage } : {}),
  });
  await bus.publish(ConversationTopics.replyCompleted, completed, { attributes: { user: reply.ownerId } }).catch(() => undefined);
}

function outcomeOf(result: GenerateResult, run: ReplyRun): Outcome {
  const base = {
    stopReason: result.stopReason,
    text: result.text,
    model: result.model,
    errorCode: '',
    errorMessage: '',
    ...(result.usage ? { usage: result.usage } : {}),
  };
  switch (result.stopReason) {
    case StopReason.END_OF_SEQUENCE:
    case StopReason.MAX_TOKENS:
    case StopReason.STOP_STRING:
    case StopReason.DEADLINE:
      return { ...base, status: run.stopRequested ? MessageStatus.STOPPED : MessageStatus.COMPLETE };
    case StopReason.CANCELLED:
      return { ...base, status: MessageStatus.STOPPED };
    case StopReason.UNLOADED:
      return {
        ...base,
        status: MessageStatus.FAILED,
        errorCode: ConversationErrorCode.ModelsUnavailable,
        errorMessage: 'Resources became critical and the model was unloaded; send your message again when they recover.',
      };
    case StopReason.ERROR:
    case StopReason.UNSPECIFIED:
      return {
        ...base,
        status: MessageStatus.FAILED,
        errorCode: ConversationErrorCode.ModelsUnavailable,
        errorMessage: `The model failed while writing: ${result.error || 'no reason given'}`,
      };
  }
}

/** Turns the model sees again: the user's, and replies with text (a failed or empty reply says nothing). */
function inPrompt(message: ThreadMessage): boolean {
  if (message.role === MessageRole.USER) return true;
  return message.status !== MessageStatus.FAILED && message.status !== MessageStatus.STREAMING && message.text.length > 0;
}

const chatTurn = (message: ThreadMessage): ChatTurn => ({ role: message.role === MessageRole.USER ? 'user' : 'assistant', content: message.text });

/** The persona's system prompt, then what memory may add (nothing without consent). */
function systemTurn(persona: Persona, memory: readonly string[]): ChatTurn {
  const remembered =
    memory.length > 0 ? `\n\nWhat you remember from earlier conversations with this user:\n${memory.map((line) => `- ${line}`).join('\n')}` : '';
  return { role: 'system', content: `${persona.systemPrompt}${remembered}` };
}
