// What the conversation contract allows, as plain values a browser may import (no topic registry, no protobuf runtime:
// @aico/contracts/browser). The conversation service enforces them; the gateway and the front ends check them first.

/** The consent purpose that lets the companion remember across threads (facts, summaries). */
export const MEMORY_CONSENT_PURPOSE = 'conversation.memory';
/** The longest message a user may send, in characters (the gateway's body schema holds the same number). */
export const MAX_CONVERSATION_MESSAGE_CHARS = 8000;
/** The avatar's expressions a persona may speak with (libs/avatar-protocol's EXPRESSIONS; a spec holds them together). */
export const PERSONA_EXPRESSIONS = ['neutral', 'happy', 'sad', 'surprised', 'thinking'] as const;
/** What a persona may be: the conversation service enforces these, the gateway and the web client check them first. */
export const PERSONA_LIMITS = { nameChars: 64, systemPromptChars: 4000, topK: 1000, maxTokens: 4096 } as const;
/** The longest remembered fact, in characters. */
export const MAX_MEMORY_FACT_CHARS = 500;
