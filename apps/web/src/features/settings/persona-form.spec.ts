import { personaFormValues, validatePersonaForm } from './persona-form';

const form = { name: 'Aico', systemPrompt: 'You are Aico.', temperature: '0.7', topP: '', topK: '40', maxTokens: '512', expression: 'happy' };

describe('validatePersonaForm', () => {
  it('turns a valid form into the PUT body, leaving out empty sampling fields', () => {
    expect(validatePersonaForm(form)).toEqual({ ok: true, input: { name: 'Aico', systemPrompt: 'You are Aico.', expression: 'happy', temperature: 0.7, topK: 40, maxTokens: 512 } });
  });

  it('names each field that is out of range or not a number', () => {
    const result = validatePersonaForm({ ...form, name: ' ', temperature: '3', topP: 'x', topK: '1.5', maxTokens: '-1', expression: 'angry' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors).sort()).toEqual(['expression', 'maxTokens', 'name', 'temperature', 'topK', 'topP']);
    expect(result.errors.temperature).toMatch(/from 0 to 2/);
  });

  it('fills the form from a stored persona (JSON leaves defaults out)', () => {
    expect(personaFormValues({ name: 'Aico', systemPrompt: 'Hi', topK: 20 })).toEqual({ name: 'Aico', systemPrompt: 'Hi', temperature: '', topP: '', topK: '20', maxTokens: '', expression: 'neutral' });
  });
});
