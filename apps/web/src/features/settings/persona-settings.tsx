// The persona (admins, in settings): who the companion is — name, system prompt, sampling (temperature, top-p,
// top-k; empty means the model's default), the longest reply, and the avatar's expression while it speaks. The form
// checks its fields before saving; the gateway's refusal is shown as it says.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { EXPRESSIONS } from '@aico/avatar-protocol';
import { queryKeys } from '../../api/query-keys';
import { useServices } from '../../app/app-context';
import { ErrorAlert } from '../../app/error-alert';
import { personaFormValues, validatePersonaForm, type PersonaFormErrors, type PersonaFormValues } from './persona-form';

export function PersonaSettings() {
  const { stored, values, errors, error, saving, saved, change, save } = usePersonaForm();
  const field = (name: keyof PersonaFormValues, label: string, input: ReactNode) => (
    <Field name={name} label={label} error={errors[name]}>
      {input}
    </Field>
  );
  const invalid = (name: keyof PersonaFormValues) => (errors[name] ? true : undefined);

  return (
    <form className="card persona-form" aria-labelledby="persona-title" onSubmit={(event) => void save(event)} noValidate>
      <h2 id="persona-title">Persona</h2>
      <p className="hint">Who the companion is, for every user of this machine.</p>
      <ErrorAlert error={stored.error ?? error} fallback="The persona could not be read or saved." />
      {field('name', 'Name', <input name="persona-name" value={values.name} onChange={change('name')} aria-invalid={invalid('name')} />)}
      {field(
        'systemPrompt',
        'System prompt',
        <textarea name="system-prompt" rows={5} value={values.systemPrompt} onChange={change('systemPrompt')} aria-invalid={invalid('systemPrompt')} />,
      )}
      <div className="field-row">
        {field(
          'temperature',
          'Temperature',
          <input name="temperature" inputMode="decimal" value={values.temperature} onChange={change('temperature')} aria-invalid={invalid('temperature')} />,
        )}
        {field('topP', 'Top-p', <input name="top-p" inputMode="decimal" value={values.topP} onChange={change('topP')} aria-invalid={invalid('topP')} />)}
        {field('topK', 'Top-k', <input name="top-k" inputMode="numeric" value={values.topK} onChange={change('topK')} aria-invalid={invalid('topK')} />)}
        {field(
          'maxTokens',
          'Max tokens',
          <input name="max-tokens" inputMode="numeric" value={values.maxTokens} onChange={change('maxTokens')} aria-invalid={invalid('maxTokens')} />,
        )}
        {field(
          'expression',
          'Expression',
          <select name="expression" value={values.expression} onChange={change('expression')}>
            {EXPRESSIONS.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>,
        )}
      </div>
      <button type="submit" className="filled-button" disabled={saving || !stored.data}>
        {saving ? 'Saving…' : 'Save persona'}
      </button>
      {saved ? (
        <span role="status" className="hint">
          Saved.
        </span>
      ) : null}
    </form>
  );
}

/** The stored persona as form values, their changes, and saving them once they pass the form's checks. */
function usePersonaForm() {
  const { persona } = useServices();
  const queryClient = useQueryClient();
  const stored = useQuery({ queryKey: queryKeys.persona, queryFn: () => persona.get() });
  const [values, setValues] = useState<PersonaFormValues>(() => personaFormValues(undefined));
  const [errors, setErrors] = useState<PersonaFormErrors>({});
  const [error, setError] = useState<unknown>();
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    if (stored.data) setValues(personaFormValues(stored.data.persona));
  }, [stored.data]);

  const change = (field: keyof PersonaFormValues) => (event: { target: { value: string } }) => {
    setSaved(false);
    setValues((current) => ({ ...current, [field]: event.target.value }));
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    const result = validatePersonaForm(values);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    setSaving(true);
    try {
      const answer = await persona.update(result.input);
      queryClient.setQueryData(queryKeys.persona, answer);
      setSaved(true);
    } catch (caught) {
      setError(caught);
    } finally {
      setSaving(false);
    }
  };
  return { stored, values, errors, error, saving, saved, change, save };
}

function Field({ name, label, error, children }: { name: keyof PersonaFormValues; label: string; error: string | undefined; children: ReactNode }) {
  return (
    <label className={name === 'systemPrompt' ? 'grow wide' : undefined}>
      {label}
      {children}
      {error ? (
        <span role="alert" className="error field-error" data-field={name}>
          {error}
        </span>
      ) : null}
    </label>
  );
}
