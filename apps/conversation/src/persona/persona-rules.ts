// What a persona may be, and the one aico ships with until an admin saves another.
import { create } from '@bufbuild/protobuf';
import { PERSONA_EXPRESSIONS, PERSONA_LIMITS, PersonaSchema, type Persona } from '@aico/contracts';
import { ConversationError, ConversationErrorCode } from '../conversation.error';

export const PERSONA_ID = 'default';
export const EXPRESSIONS = PERSONA_EXPRESSIONS;
const {
  nameChars: MAX_PERSONA_NAME_CHARS,
  systemPromptChars: MAX_SYSTEM_PROMPT_CHARS,
  topK: MAX_PERSONA_TOP_K,
  maxTokens: MAX_PERSONA_TOKENS,
} = PERSONA_LIMITS;

/** The persona until an admin saves one: warm, brief, honest about being an AI running on this machine. */
export function defaultPersona(): Persona {
  return create(PersonaSchema, {
    id: PERSONA_ID,
    name: 'Aico',
    systemPrompt:
      'You are Aico, a warm and curious companion who lives on this computer. Answer in the language the user writes in, ' +
      'briefly and kindly, like a good friend would. Be honest: you are an AI, and when you do not know something, say so.',
    temperature: 0.7,
    maxTokens: 0,
    expression: 'happy',
  });
}

const invalid = (field: string, message: string): ConversationError => new ConversationError(ConversationErrorCode.InvalidArgument, message, { field });

/** A persona as given, checked field by field; INVALID_ARGUMENT names the first field that is wrong. */
export function checkPersona(persona: Persona): Persona {
  const name = persona.name.trim();
  if (name.length < 1 || name.length > MAX_PERSONA_NAME_CHARS) throw invalid('name', `The persona's name must be 1 to ${MAX_PERSONA_NAME_CHARS} characters.`);
  if (persona.systemPrompt.length > MAX_SYSTEM_PROMPT_CHARS)
    throw invalid('systemPrompt', `The system prompt may be at most ${MAX_SYSTEM_PROMPT_CHARS} characters.`);
  if (persona.temperature !== undefined && !(persona.temperature >= 0 && persona.temperature <= 2))
    throw invalid('temperature', 'The temperature must be from 0 to 2.');
  if (persona.topP !== undefined && !(persona.topP >= 0 && persona.topP <= 1)) throw invalid('topP', 'topP must be from 0 to 1.');
  if (persona.topK !== undefined && persona.topK > MAX_PERSONA_TOP_K) throw invalid('topK', `topK may be at most ${MAX_PERSONA_TOP_K}.`);
  if (persona.maxTokens > MAX_PERSONA_TOKENS) throw invalid('maxTokens', `maxTokens may be at most ${MAX_PERSONA_TOKENS} (0: the service's default).`);
  if (!(EXPRESSIONS as readonly string[]).includes(persona.expression)) throw invalid('expression', `The expression must be one of ${EXPRESSIONS.join(', ')}.`);
  return create(PersonaSchema, { ...persona, id: PERSONA_ID, name });
}
