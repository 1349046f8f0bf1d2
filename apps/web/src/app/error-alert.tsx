// How a screen says something failed: the API error's message for people when there is one, otherwise the screen's
// own words for what it could not do. Nothing when there is no error.
import { ApiError } from '../api/api-client';

export function ErrorAlert({ error, fallback }: { error: unknown; fallback: string }) {
  if (!error) return null;
  return (
    <p role="alert" className="error">
      {error instanceof ApiError ? error.info.message : typeof error === 'string' ? error : fallback}
    </p>
  );
}
