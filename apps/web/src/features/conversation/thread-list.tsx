// The user's threads, most recently updated first, a page at a time ("More"); picking one shows it.
import type { ThreadJson } from '@aico/contracts';
import { ErrorAlert } from '../../app/error-alert';
import { useThreads } from './conversation-queries';

export function ThreadList({ selected, onSelect, onNew }: { selected: string | undefined; onSelect: (thread: ThreadJson) => void; onNew: () => void }) {
  const threads = useThreads();
  const all = (threads.data?.pages ?? []).flatMap((page) => page.threads ?? []);
  return (
    <nav className="thread-list" aria-label="Threads">
      <button type="button" className="outlined-button" onClick={onNew} aria-pressed={selected === undefined}>
        New conversation
      </button>
      <ErrorAlert error={threads.error} fallback="The conversations could not be read." />
      <ul aria-label="Conversations">
        {all.length === 0 && threads.isSuccess ? <li className="hint empty">No conversations yet.</li> : null}
        {all.map((thread) => (
          <li key={thread.id} data-testid="thread" data-thread-id={thread.id}>
            <button
              type="button"
              className={`thread-button${thread.id === selected ? ' selected' : ''}`}
              aria-current={thread.id === selected ? 'true' : undefined}
              onClick={() => onSelect(thread)}
            >
              <span className="thread-title">{thread.title || 'Untitled'}</span>
              {thread.updatedAt ? <time dateTime={thread.updatedAt}>{new Date(thread.updatedAt).toLocaleString()}</time> : null}
            </button>
          </li>
        ))}
      </ul>
      {threads.hasNextPage ? (
        <button type="button" className="text-button" onClick={() => void threads.fetchNextPage()} disabled={threads.isFetchingNextPage}>
          More conversations
        </button>
      ) : null}
    </nav>
  );
}
