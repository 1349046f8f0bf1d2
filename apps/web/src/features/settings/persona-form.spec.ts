import { PERSONA_LIMITS } from '@aico/contracts/browser';
import { personaFormValues, validatePersonaForm } from './persona-form';

const form = { name: 'Aico', systemPrompt: 'You are Aico.', temperature: '0.7', topP: '', topK: '40', maxTokens: '512', expression: 'happy' };

describe('validatePersonaForm', () => {
  it('checks the limits the conversation service enforces (PERSONA_LIMITS of the contracts)', () => {
    const over = validatePersonaForm({
      ...form,
      name: 'n'.repeat(PERSONA_LIMITS.nameChars + 1),
      systemPrompt: 'x'.repeat(PERSONA_LIMITS.systemPromptChars + 1),
      topK: String(PERSONA_LIMITS.topK + 1),
      maxTokens: String(PERSONA_LIMITS.maxTokens + 1),
    });
    expect(over.ok ? [] : Object.keys(over.errors).sort()).toEqual(['maxTokens', 'name', 'systemPrompt', 'topK']);
    const at = validatePersonaForm({
      ...form,
      name: 'n'.repeat(PERSONA_LIMITS.nameChars),
      systemPrompt: 'x'.repeat(PERSONA_LIMITS.systemPromptChars),
      topK: String(PERSONA_LIMITS.topK),
      maxTokens: String(PERSONA_LIMITS.maxTokens),
    });
    expect(at.ok).toBe(true);
  });

  it('turns a valid form into the PUT body, leaving out empty sampling fields', () => {
    expect(validatePersonaForm(form)).toEqual({
      ok: true,
      input: { name: 'Aico', systemPrompt: 'You are Aico.', expression: 'happy', temperature: 0.7, topK: 40, maxTokens: 512 },
    });
  });

  it('names each field that is out of range or not a number', () => {
    const result = validatePersonaForm({
      ...form,
      name: ' ',
      systemPrompt: ' ',
      temperature: '3',
      topP: 'x',
      topK: '1.5',
      maxTokens: '-1',
      expression: 'angry',
    });
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
    expect(personaFormValues({ name: 'Aico', systemPrompt: 'Hi', topK: 20 })).toEqual({
      name: 'Aico',
      systemPrompt: 'Hi',
      temperature: '',
      topP: '',
      topK: '20',
      maxTokens: '',
      expression: 'neutral',
    });
  });
});
