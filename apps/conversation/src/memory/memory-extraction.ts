// What the background memory job asks of the model and how its answer is read: the thread's rolling summary brought
// up to date with the messages since, and a few short facts about the user, as JSON that follows a schema (the
// models service constrains the output to it). Pure functions: the job (memory-jobs.ts) does the asking.
import { MessageRole, MessageStatus, type ThreadMessage } from '@aico/contracts';
import type { MemoryConfig } from './memory.config';

export interface Extracted {
  readonly summary: string;
  readonly facts: readonly string[];
}

/** The JSON schema of the answer: bounded, so the model cannot write more than the job keeps. */
export function extractionSchema(config: Pick<MemoryConfig, 'summaryMaxChars' | 'factMaxChars' | 'maxFactsPerExchange'>): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      summary: { type: 'string', maxLength: config.summaryMaxChars },
      facts: { type: 'array', items: { type: 'string', maxLength: config.factMaxChars }, maxItems: config.maxFactsPerExchange },
    },
    required: ['summary', 'facts'],
    additionalProperties: false,
  };
}

const INSTRUCTIONS = [
  'You keep the memory of a companion app. Read the conversation excerpt and answer with JSON only.',
  '"summary": the previous summary brought up to date with the excerpt, a few sentences about what the user and the companion talked about.',
  '"facts": new, lasting facts about the user that the excerpt states (name, preferences, people, plans, circumstances), each a short sentence in the third person ("The user ..."). No facts about the companion, nothing already known, nothing guessed. An empty list when there is nothing new.',
].join('\n');

/** Messages worth remembering: the user's, and replies that were written (finished or stopped), not failed ones. */
export function rememberable(messages: readonly ThreadMessage[]): ThreadMessage[] {
  return messages.filter((message) => message.text.trim() !== '' && (message.status === MessageStatus.COMPLETE || message.status === MessageStatus.STOPPED));
}

/** The chat the job sends: instructions, then the summary so far, the facts known, and the newest messages that fit. */
export function extractionChat(input: {
  readonly summary: string;
  readonly knownFacts: readonly string[];
  readonly messages: readonly ThreadMessage[];
  readonly maxInputChars: number;
}): { role: string; content: string }[] {
  const lines: string[] = [];
  let used = 0;
  for (const message of [...input.messages].reverse()) {
    const line = `${message.role === MessageRole.USER ? 'User' : 'Companion'}: ${message.text.trim()}`;
    if (used + line.length > input.maxInputChars) {
      // The newest message always goes in, cut to the budget (older ones are in the summary already or fall out).
      if (lines.length === 0) lines.push(line.slice(0, input.maxInputChars));
      break;
    }
    lines.push(line);
    used += line.length + 1;
  }
  lines.reverse();
  const known = input.knownFacts.length > 0 ? input.knownFacts.map((fact) => `- ${fact}`).join('\n') : '(none)';
  return [
    { role: 'system', content: INSTRUCTIONS },
    {
      role: 'user',
      content: `Previous summary:\n${input.summary || '(none)'}\n\nKnown facts about the user:\n${known}\n\nConversation excerpt:\n${lines.join('\n')}`,
    },
  ];
}

/** The model's answer read leniently: whatever is not a string is dropped; undefined when it is not the JSON asked for. */
export function parseExtraction(text: string, config: Pick<MemoryConfig, 'summaryMaxChars' | 'factMaxChars' | 'maxFactsPerExchange'>): Extracted | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { summary, facts } = value as { summary?: unknown; facts?: unknown };
  return {
    summary: typeof summary === 'string' ? summary.trim().slice(0, config.summaryMaxChars) : '',
    facts: (Array.isArray(facts) ? facts : [])
      .filter((fact): fact is string => typeof fact === 'string')
      .map((fact) => fact.replace(/\s+/g, ' ').trim().slice(0, config.factMaxChars))
      .filter((fact) => fact !== '')
      .slice(0, config.maxFactsPerExchange),
  };
}

/** The form two facts are compared in: case, spacing and punctuation do not make a fact new. */
export const normalizeFact = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
