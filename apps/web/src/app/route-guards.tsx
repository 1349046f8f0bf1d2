// Route guards: a page that needs a session sends a logged-out visitor to the login page and brings them back
// afterwards; an admin page tells a non-admin that their account may not see it.
import type { ReactNode } from 'react';
import { Link, Navigate, useLocation } from 'react-router';
import { useAppState } from './app-context';

export function RequireSession({ children }: { children: ReactNode }) {
  const signedIn = useAppState((state) => state.session !== undefined);
  const location = useLocation();
  if (!signedIn) return <Navigate to="/login" replace state={{ from: `${location.pathname}${location.search}` }} />;
  return children;
}

export function RequireAdmin({ children }: { children: ReactNode }) {
  const role = useAppState((state) => state.session?.user.role);
  if (role !== 'admin') {
    return (
      <section className="page">
        <h1>Not allowed</h1>
        <p role="alert">This page is for administrators; your account is not allowed to see it.</p>
        <Link to="/">Back to the conversation</Link>
      </section>
    );
  }
  return children;
}

export function NotFoundPage() {
  return (
    <section className="page">
      <h1>Not found</h1>
      <p>There is no page here.</p>
      <Link to="/">Back to the conversation</Link>
    </section>
  );
}
