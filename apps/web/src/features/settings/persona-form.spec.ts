import { PERSONA_LIMITS } from '@aico/contracts';
import { MAX_PERSONA_NAME_CHARS, MAX_PERSONA_TOKENS, MAX_SYSTEM_PROMPT_CHARS, personaFormValues, validatePersonaForm } from './persona-form';

const form = { name: 'Aico', systemPrompt: 'You are Aico.', temperature: '0.7', topP: '', topK: '40', maxTokens: '512', expression: 'happy' };

describe('validatePersonaForm', () => {
  it('checks the limits the conversation service enforces', () => {
    expect({ nameChars: MAX_PERSONA_NAME_CHARS, systemPromptChars: MAX_SYSTEM_PROMPT_CHARS, maxTokens: MAX_PERSONA_TOKENS }).toEqual({ nameChars: PERSONA_LIMITS.nameChars, systemPromptChars: PERSONA_LIMITS.systemPromptChars, maxTokens: PERSONA_LIMITS.maxTokens });
  });

  it('turns a valid form into the PUT body, leaving out empty sampling fields', () => {
    expect(validatePersonaForm(form)).toEqual({ ok: true, input: { name: 'Aico', systemPrompt: 'You are Aico.', expression: 'happy', temperature: 0.7, topK: 40, maxTokens: 512 } });
  });

  it('names each field that is out of range or not a number', () => {
    const result = validatePersonaForm({ ...form, name: ' ', systemPrompt: ' ', temperature: '3', topP: 'x', topK: '1.5', maxTokens: '-1', expression: 'angry' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors).sort()).toEqual(['expression', 'maxTokens', 'name', 'systemPrompt', 'temperature', 'topK', 'topP']);
    expect(result.errors.temperature).toMatch(/from 0 to 2/);
  });

  it('holds the limits both the gateway and the conversation service keep (top-p above 0, top-k from 1, at most 4096 tokens)', () => {
    const result = validatePersonaForm({ ...form, topP: '0', topK: '0', maxTokens: '4097', systemPrompt: 'x'.repeat(4001) });
    expect(result.ok ? [] : Object.keys(result.errors).sort()).toEqual(['maxTokens', 'systemPrompt', 'topK', 'topP']);
    expect(validatePersonaForm({ ...form, topP: '1', topK: '1', maxTokens: '4096' }).ok).toBe(true);
  });

  it('fills the form from a stored persona (JSON leaves defaults out)', () => {
    expect(personaFormValues({ name: 'Aico', systemPrompt: 'Hi', topK: 20 })).toEqual({ name: 'Aico', systemPrompt: 'Hi', temperature: '', topP: '', topK: '20', maxTokens: '', expression: 'neutral' });
  });
});
