// The memory page: what the companion remembers of this user (only with `conversation.memory` consent), every fact
// with the conversation it came from; each can be edited or deleted, or everything forgotten at once. It says whether
// memory is on (the switch is on the privacy page), and, when consent was withdrawn, that the memory was deleted.
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { MemoryFactViewJson } from '@aico/contracts';
import { MAX_MEMORY_FACT_CHARS, MEMORY_CONSENT_PURPOSE } from '@aico/contracts/browser';
import { useConsent } from '../../api/queries';
import { queryKeys } from '../../api/query-keys';
import { useAppState, useServices } from '../../app/app-context';
import { ErrorAlert } from '../../app/error-alert';
import { useBusyTask } from '../../app/use-busy-task';

export function MemoryPage() {
  const { memory } = useServices();
  const queryClient = useQueryClient();
  const list = useQuery({ queryKey: queryKeys.memory, queryFn: () => memory.list() });
  // Whether memory is on is the consent's to say (the privacy page's own list), so it shows even when the memory
  // cannot be read; the memory list's own flag stands in until the consent list has come.
  const consent = useConsent();
  const memoryConsent = consent.data?.purposes.find((purpose) => purpose.purpose === MEMORY_CONSENT_PURPOSE);
  const withdrawn = useAppState((state) => state.memoryWithdrawn);
  const task = useBusyTask();
  const busy = task.busy;
  const [forgotten, setForgotten] = useState<string>();
  // Every change refreshes the list.
  const run = (change: () => Promise<void>) =>
    task.run(async () => {
      await change();
      await queryClient.invalidateQueries({ queryKey: queryKeys.memory });
    });

  const forget = (done: () => void) =>
    void run(async () => {
      const result = await memory.forget();
      setForgotten(`Forgotten: ${result.deletedFacts ?? 0} facts and ${result.deletedSummaries ?? 0} conversation summaries.`);
      done();
    });

  const facts = list.data?.facts ?? [];
  const enabled = memoryConsent ? memoryConsent.granted : list.data?.enabled === true;
  const known = memoryConsent !== undefined || list.data !== undefined;

  return (
    <section className="page memory">
      <h1>Memory</h1>
      {known ? <MemoryConsentNotice enabled={enabled} /> : null}
      {withdrawn && !enabled ? (
        <p role="status" className="card notice" data-testid="memory-withdrawn">
          You withdrew consent to memory: everything aico remembered about you was deleted ({withdrawn.deletedFacts} facts).
        </p>
      ) : null}
      {forgotten ? (
        <p role="status" className="hint">
          {forgotten}
        </p>
      ) : null}
      <ErrorAlert error={list.error ?? task.error} fallback="The memory could not be read or changed." />
      <ul aria-label="Remembered facts" className="facts">
        {facts.length === 0 && list.isSuccess ? <li className="hint empty">aico remembers nothing about you.</li> : null}
        {facts.map((view) => (
          <FactRow
            key={view.fact?.id}
            view={view}
            busy={busy}
            onSave={(text) => run(async () => void (await memory.update(view.fact!.id!, text)))}
            onDelete={() => void run(() => memory.remove(view.fact!.id!))}
          />
        ))}
      </ul>
      {list.data?.summaries ? <p className="hint">{list.data.summaries} conversations have a summary.</p> : null}
      <ForgetEverything busy={busy} nothingToForget={facts.length === 0 && !list.data?.summaries} forget={forget} />
    </section>
  );
}

function MemoryConsentNotice({ enabled }: { enabled: boolean }) {
  return (
    <p className="card" data-testid="memory-consent" data-enabled={enabled}>
      {enabled ? (
        <>
          <strong>Memory is on.</strong> After each exchange aico notes facts about you and summarises the conversation, on this machine only.
        </>
      ) : (
        <>
          <strong>Memory is off.</strong> Nothing of one conversation reaches another.
        </>
      )}{' '}
      <Link to="/privacy">Change this on the privacy page.</Link>
    </p>
  );
}

/** "Forget everything", after a confirmation. */
function ForgetEverything({ busy, nothingToForget, forget }: { busy: boolean; nothingToForget: boolean; forget: (done: () => void) => void }) {
  const [confirming, setConfirming] = useState(false);
  // The confirmation closes once the memory is forgotten; after a failure it stays, beside the error.
  const confirmed = () => forget(() => setConfirming(false));
  if (!confirming) {
    return (
      <button type="button" className="outlined-button danger" onClick={() => setConfirming(true)} disabled={busy || nothingToForget}>
        Forget everything
      </button>
    );
  }
  return (
    <div role="alertdialog" aria-label="Forget everything?" className="card confirm">
      <p>Forget every fact and every conversation summary? The conversations themselves stay.</p>
      <button type="button" className="filled-button danger" onClick={confirmed} disabled={busy}>
        Forget for good
      </button>
      <button type="button" className="text-button" onClick={() => setConfirming(false)} disabled={busy}>
        Cancel
      </button>
    </div>
  );
}

function FactRow({ view, busy, onSave, onDelete }: { view: MemoryFactViewJson; busy: boolean; onSave: (text: string) => Promise<void>; onDelete: () => void }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(view.fact?.text ?? '');
  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!text.trim()) return;
    await onSave(text.trim());
    setEditing(false);
  };
  return (
    <li className="card fact" data-testid="fact" data-fact-id={view.fact?.id}>
      {editing ? (
        <form onSubmit={(event) => void save(event)} className="rename">
          <label className="grow">
            Fact
            <input value={text} maxLength={MAX_MEMORY_FACT_CHARS} autoFocus onChange={(event) => setText(event.target.value)} />
          </label>
          <button type="submit" className="filled-button" disabled={busy || !text.trim()}>
            Save
          </button>
          <button type="button" className="text-button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <>
          <span className="fact-text">{view.fact?.text}</span>
          <span className="hint">
            {' '}
            from {view.sourceThreadTitle ? `“${view.sourceThreadTitle}”` : 'a deleted conversation'}
            {view.fact?.edited ? ', edited by you' : ''}
          </span>
          <button type="button" className="text-button" onClick={() => (setText(view.fact?.text ?? ''), setEditing(true))} disabled={busy}>
            Edit
          </button>
          <button type="button" className="text-button danger" onClick={onDelete} disabled={busy}>
            Delete
          </button>
        </>
      )}
    </li>
  );
}
