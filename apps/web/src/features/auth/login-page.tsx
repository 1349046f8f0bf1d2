// Login: username and password, errors said plainly (wrong password, locked out for a while, aico unreachable),
// then back to the page the user came for (or the one their session expired on).
import { useState, type FormEvent } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { ApiError } from '../../api/api-client';
import { useAppState, useInteractiveMark, useServices } from '../../app/app-context';
import { ErrorAlert } from '../../app/error-alert';

export function LoginPage() {
  const { api } = useServices();
  const signedIn = useAppState((state) => state.session !== undefined);
  const returnTo = useAppState((state) => state.returnTo);
  const location = useLocation();
  const navigate = useNavigate();
  const [error, setError] = useState<string>();
  const [pending, setPending] = useState(false);
  useInteractiveMark();

  const destination = (location.state as { from?: string } | null)?.from ?? returnTo ?? '/';
  if (signedIn && !pending) return <Navigate to={destination} replace />;

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(undefined);
    try {
      await api.login(String(form.get('username') ?? ''), String(form.get('password') ?? ''));
      void navigate(destination, { replace: true });
    } catch (caught) {
      setError(loginErrorText(caught));
    } finally {
      setPending(false);
    }
  };

  return (
    <main className="login">
      <form className="card login-card" onSubmit={(event) => void submit(event)} aria-labelledby="login-title">
        <h1 id="login-title">Log in to aico</h1>
        {returnTo ? <p className="hint">Your session ended; log in again to continue where you were.</p> : null}
        <label>
          Username
          <input name="username" autoComplete="username" required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <ErrorAlert error={error} fallback="Logging in failed. Try again." />
        <button type="submit" className="filled-button" disabled={pending}>
          {pending ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}

function loginErrorText(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Logging in failed. Try again.';
  // At login a 401 means the credentials, not an expired session.
  if (error.info.kind === 'session-expired') return 'The username or password is not right.';
  return error.info.message;
}
