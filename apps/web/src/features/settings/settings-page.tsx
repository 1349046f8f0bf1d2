// Settings: the theme (follow the system, light, dark; remembered in this browser), the companion's persona (admins),
// and the account's sessions, each of which can be ended, with "log out everywhere".
import type { ThemeChoice } from '../../core/app-store';
import { useEndSession, useLogoutEverywhere, useSessions } from '../../api/queries';
import { useAppState, useServices } from '../../app/app-context';
import { ErrorAlert } from '../../app/error-alert';
import { PersonaSettings } from './persona-settings';

const THEMES: readonly { value: ThemeChoice; label: string }[] = [
  { value: 'system', label: 'Follow the system' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export function SettingsPage() {
  const { store } = useServices();
  const theme = useAppState((state) => state.theme);
  const admin = useAppState((state) => state.session?.user.role === 'admin');
  const sessions = useSessions();
  const endSession = useEndSession();
  const logoutEverywhere = useLogoutEverywhere();
  const error = sessions.error ?? endSession.error ?? logoutEverywhere.error;

  return (
    <section className="page">
      <h1>Settings</h1>
      <fieldset className="card">
        <legend id="theme-legend">Theme</legend>
        <div role="radiogroup" aria-labelledby="theme-legend" className="radio-row">
          {THEMES.map((option) => (
            <label key={option.value}>
              <input type="radio" name="theme" value={option.value} checked={theme === option.value} onChange={() => store.chooseTheme(option.value)} />
              {option.label}
            </label>
          ))}
        </div>
      </fieldset>
      {admin ? <PersonaSettings /> : null}
      <h2>Sessions</h2>
      <ErrorAlert error={error} fallback="Sessions could not be read or ended." />
      <ul aria-label="Sessions" className="sessions">
        {(sessions.data?.sessions ?? []).map((session) => (
          <li key={session.id} className="card session">
            <span>
              <strong>{session.client || 'unknown client'}</strong>
              {session.current ? <span className="badge"> this device</span> : null}
              <span className="hint"> since {new Date(session.createdAt).toLocaleString()}</span>
            </span>
            {session.current ? null : (
              <button type="button" className="text-button" onClick={() => endSession.mutate(session.id)} disabled={endSession.isPending}>
                End
              </button>
            )}
          </li>
        ))}
      </ul>
      <button type="button" className="outlined-button danger" onClick={() => logoutEverywhere.mutate()} disabled={logoutEverywhere.isPending}>
        Log out everywhere
      </button>
    </section>
  );
}
