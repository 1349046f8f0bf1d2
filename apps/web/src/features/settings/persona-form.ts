// The persona form's rules: text fields as typed, numbers parsed and checked against the ranges the gateway and the
// conversation service both take (an empty sampling field means "the model's default", an empty max tokens the
// service's default), and the expression one a persona may have (the avatar's, PERSONA_EXPRESSIONS).
import type { PersonaJson } from '@aico/contracts';
import { PERSONA_EXPRESSIONS, PERSONA_LIMITS } from '@aico/contracts/browser';
import type { PersonaInput } from '../../api/persona-api';

export interface PersonaFormValues {
  readonly name: string;
  readonly systemPrompt: string;
  readonly temperature: string;
  readonly topP: string;
  readonly topK: string;
  readonly maxTokens: string;
  readonly expression: string;
}

export type PersonaFormErrors = Partial<Record<keyof PersonaFormValues, string>>;
export type PersonaFormResult = { readonly ok: true; readonly input: PersonaInput } | { readonly ok: false; readonly errors: PersonaFormErrors };

export function personaFormValues(persona: PersonaJson | undefined): PersonaFormValues {
  const text = (value: number | string | undefined) => (value === undefined || value === null ? '' : String(value));
  return {
    name: persona?.name ?? '',
    systemPrompt: persona?.systemPrompt ?? '',
    temperature: text(persona?.temperature),
    topP: text(persona?.topP),
    topK: text(persona?.topK),
    maxTokens: persona?.maxTokens ? String(persona.maxTokens) : '',
    expression: persona?.expression || 'neutral',
  };
}

export function validatePersonaForm(values: PersonaFormValues): PersonaFormResult {
  const errors: PersonaFormErrors = {};
  const name = values.name.trim();
  if (!name) errors.name = 'Give the companion a name.';
  else if (name.length > PERSONA_LIMITS.nameChars) errors.name = `A name has at most ${PERSONA_LIMITS.nameChars} characters.`;
  if (!values.systemPrompt.trim()) errors.systemPrompt = 'Write a system prompt: it tells the model who it is.';
  else if (values.systemPrompt.length > PERSONA_LIMITS.systemPromptChars)
    errors.systemPrompt = `The system prompt has at most ${PERSONA_LIMITS.systemPromptChars} characters.`;
  const temperature = number(values.temperature, { min: 0, max: 2, integer: false }, 'Temperature', errors, 'temperature');
  const topP = number(values.topP, { min: 0, max: 1, integer: false, aboveMin: true }, 'Top-p', errors, 'topP');
  const topK = number(values.topK, { min: 1, max: PERSONA_LIMITS.topK, integer: true }, 'Top-k', errors, 'topK');
  const maxTokens = number(values.maxTokens, { min: 0, max: PERSONA_LIMITS.maxTokens, integer: true }, 'Max tokens', errors, 'maxTokens');
  const expression = PERSONA_EXPRESSIONS.find((known) => known === values.expression);
  if (!expression) errors.expression = `The expression is one of ${PERSONA_EXPRESSIONS.join(', ')}.`;
  if (!expression || Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    input: {
      name,
      systemPrompt: values.systemPrompt,
      expression,
      ...(temperature !== undefined ? { temperature } : {}),
      ...(topP !== undefined ? { topP } : {}),
      ...(topK !== undefined ? { topK } : {}),
      ...(maxTokens !== undefined ? { maxTokens } : {}),
    },
  };
}

function number(
  text: string,
  range: { min: number; max: number; integer: boolean; aboveMin?: boolean },
  label: string,
  errors: PersonaFormErrors,
  field: keyof PersonaFormValues,
): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  if (
    !Number.isFinite(value) ||
    (range.integer && !Number.isInteger(value)) ||
    value < range.min ||
    (range.aboveMin && value === range.min) ||
    value > range.max
  ) {
    errors[field] =
      `${label} is ${range.integer ? 'a whole number' : 'a number'} ${range.aboveMin ? 'above' : 'from'} ${range.min} to ${range.max}${field === 'maxTokens' ? ' (0 or empty: the default)' : ' (empty: the model’s default)'}.`;
    return undefined;
  }
  return value;
}
