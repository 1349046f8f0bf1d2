// The selected thread's title and what can be done with it: rename, export (Markdown or JSON, downloaded), delete
// (after a confirmation: it is gone from the database).
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { ThreadJson } from '@aico/contracts';
import type { ExportFormat } from '../../api/conversation-api';
import { queryKeys } from '../../api/query-keys';
import { useServices } from '../../app/app-context';
import { ErrorAlert } from '../../app/error-alert';
import { useBusyTask } from '../../app/use-busy-task';

type Mode = 'view' | 'rename' | 'confirm-delete';

export function ThreadHeader({ thread, onDeleted }: { thread: ThreadJson; onDeleted: () => void }) {
  const { conversation, timeline } = useServices();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<Mode>('view');
  const [title, setTitle] = useState(thread.title ?? '');
  const { busy, error, run } = useBusyTask();
  const id = thread.id!;

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

  const download = (format: ExportFormat) => void run(async () => downloadFile(await conversation.export(id, format)));

  return (
    <header className="thread-header">
      {mode === 'rename' ? (
        <RenameForm title={title} setTitle={setTitle} busy={busy} onSubmit={rename} onCancel={() => setMode('view')} />
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
      {mode === 'confirm-delete' ? <DeleteConfirmation thread={thread} busy={busy} onDelete={remove} onCancel={() => setMode('view')} /> : null}
      <ErrorAlert error={error} fallback="That did not work. Try again." />
    </header>
  );
}

/** Hands an exported file to the browser's download. */
function downloadFile(file: { blob: Blob; fileName: string }): void {
  const url = URL.createObjectURL(file.blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = file.fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // The click has handed the file to the browser's download; the URL is not needed after this task.
  window.setTimeout(() => URL.revokeObjectURL(url), 0);
}

interface RenameFormProps {
  readonly title: string;
  readonly setTitle: (title: string) => void;
  readonly busy: boolean;
  readonly onSubmit: (event: FormEvent) => void;
  readonly onCancel: () => void;
}

function RenameForm({ title, setTitle, busy, onSubmit, onCancel }: RenameFormProps) {
  return (
    <form className="rename" onSubmit={onSubmit}>
      <label className="grow">
        Title
        <input value={title} maxLength={200} autoFocus onChange={(event) => setTitle(event.target.value)} />
      </label>
      <button type="submit" className="filled-button" disabled={busy || !title.trim()}>
        Save
      </button>
      <button type="button" className="text-button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

function DeleteConfirmation({ thread, busy, onDelete, onCancel }: { thread: ThreadJson; busy: boolean; onDelete: () => void; onCancel: () => void }) {
  return (
    <div role="alertdialog" aria-label="Delete this conversation?" className="card confirm">
      <p>
        Delete “{thread.title || 'Untitled'}” and its {thread.messageCount ?? 0} messages? They are removed from this machine for good.
      </p>
      <button type="button" className="filled-button danger" onClick={onDelete} disabled={busy}>
        Delete for good
      </button>
      <button type="button" className="text-button" onClick={onCancel} disabled={busy}>
        Cancel
      </button>
    </div>
  );
}
