// Login: username and password, errors said plainly (wrong password, locked out for a while, aico unreachable),
// then back to the page the user came for (or the one their session expired on). On first run (no account exists
// yet, the gateway says), it offers to create the first admin account instead; never once a user exists.
import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { ApiError } from '../../api/api-client';
import { useAppState, useInteractiveMark, useServices } from '../../app/app-context';
import { ErrorAlert } from '../../app/error-alert';
import { queryKeys } from '../../api/query-keys';
import { FirstRunForm } from './first-run-form';

export function LoginPage() {
  const { api, setup } = useServices();
  const queryClient = useQueryClient();
  // Asked once per visit of the login page; a gateway that does not know the route answers an error: no setup then.
  const setupNeeded = useQuery({ queryKey: queryKeys.setup, queryFn: () => setup.needed(), retry: false, staleTime: 0 });
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

  if (setupNeeded.data === true) {
    return (
      <main className="login">
        <FirstRunForm
          onDone={() => {
            queryClient.setQueryData(queryKeys.setup, false);
            void navigate('/', { replace: true });
          }}
          onAlreadyDone={() => {
            queryClient.setQueryData(queryKeys.setup, false);
            setError('An account exists already: log in with it.');
          }}
        />
      </main>
    );
  }

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
