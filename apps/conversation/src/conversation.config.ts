// The conversation service's settings: how long a message and a reply may be, how much of the model's context a
// prompt may fill, and how memory work is paced.
import { baseConfigSchema, configInteger, z } from '@aico/config';
import { memoryConfigSchema } from './memory/memory.config';

export const conversationConfigSchema = baseConfigSchema.extend({
  conversation: z
    .object({
      /** Memory (only with `conversation.memory` consent): its pacing and bounds (memory/memory.config.ts). */
      memory: memoryConfigSchema,
      /** Tokens a reply may write when the persona does not say. */
      defaultMaxTokens: configInteger.min(1).default(512),
    })
    .prefault({}),
});

export type ConversationConfig = z.infer<typeof conversationConfigSchema>;
