// The selected thread's title and what can be done with it: rename, export (Markdown or JSON, downloaded), delete
// (after a confirmation: it is gone from the database).
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { ThreadJson } from '@aico/contracts';
import type { ExportFormat } from '../../api/conversation-api';
import { queryKeys } from '../../api/query-keys';
import { useServices } from '../../app/app-context';
import { ErrorAlert } from '../../app/error-alert';

export function ThreadHeader({ thread, onDeleted }: { thread: ThreadJson; onDeleted: () => void }) {
  const { conversation, timeline } = useServices();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<'view' | 'rename' | 'confirm-delete'>('view');
  const [title, setTitle] = useState(thread.title ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const id = thread.id!;

  const run = async (task: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await task();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const rename = (event: FormEvent) => {
    event.preventDefault();
    const next = title.trim();
    if (!next) return;
    void run(async () => {
      await conversation.rename(id, next);
      await queryClient.invalidateQueries({ queryKey: queryKeys.threads });
      setMode('view');
    });
  };

  const remove = () =>
    void run(async () => {
      await conversation.remove(id);
      timeline.forget(id);
      queryClient.removeQueries({ queryKey: queryKeys.messages(id) });
      await queryClient.invalidateQueries({ queryKey: queryKeys.threads });
      onDeleted();
    });

  const download = (format: ExportFormat) =>
    void run(async () => {
      const file = await conversation.export(id, format);
      const url = URL.createObjectURL(file.blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = file.fileName;
      document.body.append(link);
      link.click();
      link.remove();
      // The click has handed the file to the browser's download; the URL is not needed after this task.
      window.setTimeout(() => URL.revokeObjectURL(url), 0);
    });

  return (
    <header className="thread-header">
      {mode === 'rename' ? (
        <form className="rename" onSubmit={rename}>
          <label className="grow">
            Title
            <input value={title} maxLength={200} autoFocus onChange={(event) => setTitle(event.target.value)} />
          </label>
          <button type="submit" className="filled-button" disabled={busy || !title.trim()}>
            Save
          </button>
          <button type="button" className="text-button" onClick={() => setMode('view')}>
            Cancel
          </button>
        </form>
      ) : (
        <h2 data-testid="thread-title">{thread.title || 'Untitled'}</h2>
      )}
      {mode === 'view' ? (
        <div className="thread-actions">
          <button type="button" className="text-button" onClick={() => (setTitle(thread.title ?? ''), setMode('rename'))}>
            Rename
          </button>
          <button type="button" className="text-button" onClick={() => download('markdown')} disabled={busy}>
            Export Markdown
          </button>
          <button type="button" className="text-button" onClick={() => download('json')} disabled={busy}>
            Export JSON
          </button>
          <button type="button" className="text-button danger" onClick={() => setMode('confirm-delete')}>
            Delete
          </button>
        </div>
      ) : null}
      {mode === 'confirm-delete' ? (
        <div role="alertdialog" aria-label="Delete this conversation?" className="card confirm">
          <p>
            Delete “{thread.title || 'Untitled'}” and its {thread.messageCount ?? 0} messages? They are removed from this machine for good.
          </p>
          <button type="button" className="filled-button danger" onClick={remove} disabled={busy}>
            Delete for good
          </button>
          <button type="button" className="text-button" onClick={() => setMode('view')} disabled={busy}>
            Cancel
          </button>
        </div>
      ) : null}
      <ErrorAlert error={error} fallback="That did not work. Try again." />
    </header>
  );
}
