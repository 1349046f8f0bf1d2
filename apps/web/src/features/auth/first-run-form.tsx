// First run: while no account exists, the person at this machine creates the first administrator here (username,
// password twice, display name) and is signed in. The gateway allows it only from this machine and only once.
import { useState, type FormEvent } from 'react';
import { ApiError } from '../../api/api-client';
import { useServices } from '../../app/app-context';
import { ErrorAlert } from '../../app/error-alert';
import { validateSetupForm, type SetupFormErrors } from './setup-form';

export function FirstRunForm({ onDone, onAlreadyDone }: { onDone: () => void; onAlreadyDone: () => void }) {
  const { setup } = useServices();
  const [errors, setErrors] = useState<SetupFormErrors>({});
  const [error, setError] = useState<string>();
  const [pending, setPending] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const result = validateSetupForm({
      username: String(form.get('username') ?? ''),
      password: String(form.get('password') ?? ''),
      repeat: String(form.get('repeat') ?? ''),
      displayName: String(form.get('displayName') ?? ''),
    });
    setError(undefined);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    setPending(true);
    try {
      await setup.createFirstAdmin(result.input);
      onDone();
    } catch (caught) {
      if (caught instanceof ApiError && caught.info.code === 'AUTH_SETUP_DONE') {
        onAlreadyDone();
        return;
      }
      setError(caught instanceof ApiError ? caught.info.message : 'The account could not be created. Try again.');
    } finally {
      setPending(false);
    }
  };

  const fieldError = (name: keyof SetupFormErrors) =>
    errors[name] ? (
      <span role="alert" className="error field-error" data-field={name}>
        {errors[name]}
      </span>
    ) : null;

  return (
    <form className="card login-card" onSubmit={(event) => void submit(event)} aria-labelledby="setup-title" noValidate>
      <h1 id="setup-title">Create the first admin account</h1>
      <p className="hint">Nobody has an account on this aico yet. The account you create here can do everything, including adding other people.</p>
      <label>
        Username
        <input name="username" autoComplete="username" required autoFocus aria-invalid={errors.username ? true : undefined} />
        {fieldError('username')}
      </label>
      <label>
        Display name (optional)
        <input name="displayName" autoComplete="name" />
        {fieldError('displayName')}
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="new-password" required aria-invalid={errors.password ? true : undefined} />
        {fieldError('password')}
      </label>
      <label>
        Password again
        <input name="repeat" type="password" autoComplete="new-password" required aria-invalid={errors.repeat ? true : undefined} />
        {fieldError('repeat')}
      </label>
      <ErrorAlert error={error} fallback="The account could not be created. Try again." />
      <button type="submit" className="filled-button" disabled={pending}>
        {pending ? 'Creating…' : 'Create the admin account'}
      </button>
    </form>
  );
}
