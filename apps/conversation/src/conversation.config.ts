// The conversation service's settings: how long a reply may be and take, how many replies may be written at once,
// and how the reply's generation is asked of the models service.
import { baseConfigSchema, configInteger, z } from '@aico/config';
import { memoryConfigSchema } from './memory/memory.config';

export const conversationConfigSchema = baseConfigSchema.extend({
  conversation: z
    .object({
      /** Memory (only with `conversation.memory` consent): its pacing and bounds (memory/memory.config.ts). */
      memory: memoryConfigSchema,
      /** Tokens a reply may write when the persona does not say (its maxTokens is 0). */
      defaultMaxTokens: configInteger.min(1).default(512),
      /**
       * Replies being written at once, all users together; a message beyond them is refused with
       * CONVERSATION_BUSY. The models service runs them one after another anyway: this bounds the queue a person waits in.
       */
      maxReplies: configInteger.min(1).default(8),
      /** Of those, one user's at once (their many threads must not take every slot from the others). */
      maxRepliesPerUser: configInteger.min(1).default(3),
      /** The longest a reply may take, waiting for the model included; then it ends with the text so far. */
      replyTimeoutMs: configInteger.min(1_000).default(600_000),
      /**
       * How long the models service may stay silent (no text, no keep-alive) before a reply fails with
       * CONVERSATION_MODELS_UNAVAILABLE. A crash the supervisor reports ends the reply at once instead.
       */
      modelsIdleTimeoutMs: configInteger.min(1_000).default(10_000),
      /**
       * How long counting a prompt's tokens may take. The first count after the models app starts waits for its
       * runtime and the model's tokenizer to load: seconds on a busy machine, beyond the bus's usual request timeout.
       */
      countTimeoutMs: configInteger.min(1_000).default(60_000),
      /**
       * How often the text of a reply being written is saved (still marked streaming), so that a crash of this
       * service keeps what was written; 0: whenever the previous save has finished.
       */
      checkpointMs: configInteger.min(0).default(2_000),
      /** Turns of a thread read to build a prompt (the newest ones); the model's context usually holds fewer. */
      maxPromptTurns: configInteger.min(1).default(200),
    })
    .prefault({}),
});

export type ConversationConfig = z.infer<typeof conversationConfigSchema>;
