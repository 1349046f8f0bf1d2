// The frame around every signed-in page: the navigation, the connection state (always visible), an offline banner
// while the gateway cannot be reached, and the page itself.
import { NavLink, Outlet } from 'react-router';
import { useLogout } from '../api/queries';
import { useAppState, useInteractiveMark } from './app-context';

const LINKS = [
  { to: '/', label: 'Conversation' },
  { to: '/status', label: 'Status' },
  { to: '/memory', label: 'Memory' },
  { to: '/privacy', label: 'Privacy' },
  { to: '/settings', label: 'Settings' },
  { to: '/avatar', label: 'Avatar' },
] as const;

const STATE_TEXT = { open: 'Online', connecting: 'Connecting…', reconnecting: 'Offline', closed: 'Disconnected' } as const;

export function Shell() {
  const connection = useAppState((state) => state.connection);
  const detail = useAppState((state) => state.connectionDetail);
  const user = useAppState((state) => state.session?.user);
  const logout = useLogout();

  useInteractiveMark();

  return (
    <div className="shell">
      <header className="top-bar">
        <span className="brand">aico</span>
        <span className="connection" data-testid="connection-state" data-state={connection} title={detail}>
          <span className="dot" aria-hidden="true" />
          {STATE_TEXT[connection]}
          {connection === 'reconnecting' && detail ? <span className="detail"> — {detail}</span> : null}
        </span>
        <span className="user">{user?.displayName || user?.username}</span>
        <button type="button" className="text-button" onClick={() => logout.mutate()} disabled={logout.isPending}>
          Log out
        </button>
      </header>
      <nav aria-label="Main" className="nav">
        {LINKS.map((link) => (
          <NavLink key={link.to} to={link.to} end={link.to === '/'}>
            {link.label}
          </NavLink>
        ))}
        {user?.role === 'admin' ? <NavLink to="/models">Models</NavLink> : null}
        {user?.role === 'admin' ? <NavLink to="/status/logs">Logs</NavLink> : null}
      </nav>
      {connection === 'reconnecting' ? (
        <div role="status" className="banner offline">
          You are offline: aico cannot be reached. This page reconnects by itself.
        </div>
      ) : null}
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}
