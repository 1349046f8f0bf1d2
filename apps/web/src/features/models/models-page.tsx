// The Models page (admins): the installed models with size, quantization, context and whether each fits this machine
// now; the one chat uses (and making another the one); import a GGUF file by its path on this machine; pull one from
// a source with a progress bar (the gateway streams the pull's progress to this user's WebSocket); remove one.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { CatalogModelJson } from '@aico/contracts';
import { isChatModel, PULL_COMPLETED_TOPIC, PULL_PROGRESS_TOPIC, type ModelsApi, type PullCompletedEvent, type PullProgressEvent } from '../../api/models-api';
import { queryKeys } from '../../api/query-keys';
import { useServices } from '../../app/app-context';
import { ErrorAlert } from '../../app/error-alert';
import { formatBytes, pullView } from './pull-progress';
import { PullTracker, type Pull } from './pull-tracker';

export function ModelsPage() {
  const { models } = useServices();
  const queryClient = useQueryClient();
  const overview = useQuery({ queryKey: queryKeys.models, queryFn: () => models.list() });
  const { busy, error, run } = useModelAction(() => queryClient.invalidateQueries({ queryKey: queryKeys.models }));
  const { pulls, started } = usePulls();
  const catalog = overview.data?.catalog;

  return (
    <section className="page models">
      <h1>Models</h1>
      <p className="hint">Language models run on this machine only. {catalog?.modelsDir ? <>Files are kept in {catalog.modelsDir}.</> : null}</p>
      <ErrorAlert error={overview.error ?? error} fallback="The models could not be read or changed." />
      <ModelsTable overview={overview.data} listed={overview.isSuccess} busy={busy} run={run} />
      <h2>Import a model file</h2>
      <ImportModelForm busy={busy} run={run} />
      <h2>Pull a model</h2>
      <PullModelForm busy={busy} run={run} started={started} />
      <PullList pulls={pulls} />
    </section>
  );
}

type ModelsOverview = Awaited<ReturnType<ModelsApi['list']>>;
/** Runs one change (its name shows as busy), then refreshes the list; resolves whether it succeeded. */
type RunAction = (what: string, task: () => Promise<unknown>) => Promise<boolean>;

/** One change at a time: which one is running, and the error of the last one. */
function useModelAction(refresh: () => Promise<unknown>): { busy: string | undefined; error: unknown; run: RunAction } {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState<string>();
  const run: RunAction = async (what, task) => {
    setBusy(what);
    setError(undefined);
    try {
      await task();
      await refresh();
      return true;
    } catch (caught) {
      setError(caught);
      return false;
    } finally {
      setBusy(undefined);
    }
  };
  return { busy, error, run };
}

/** The pulls this page started, followed by their progress events over the WebSocket. */
function usePulls(): { pulls: readonly Pull[]; started: (pullId: string, source: string) => void } {
  const { live } = useServices();
  const queryClient = useQueryClient();
  const tracker = useRef(new PullTracker());
  const [pulls, setPulls] = useState<readonly Pull[]>([]);
  useEffect(() => {
    const stops = [
      live.listen(PULL_PROGRESS_TOPIC, (event) => setPulls(tracker.current.progress(event.payload as PullProgressEvent))),
      live.listen(PULL_COMPLETED_TOPIC, (event) => {
        setPulls(tracker.current.completed(event.payload as PullCompletedEvent));
        void queryClient.invalidateQueries({ queryKey: queryKeys.models });
      }),
    ];
    return () => {
      for (const stop of stops) stop();
    };
  }, [live, queryClient]);
  return { pulls, started: (pullId, source) => setPulls(tracker.current.started(pullId, source)) };
}

function ModelsTable({ overview, listed, busy, run }: { overview: ModelsOverview | undefined; listed: boolean; busy: string | undefined; run: RunAction }) {
  const { models } = useServices();
  const [confirmRemove, setConfirmRemove] = useState<string>();
  const catalog = overview?.catalog;
  const fits = new Map((catalog?.fits ?? []).map((fit) => [fit.model, fit]));
  const missing = new Set(catalog?.missingFiles ?? []);
  const list = catalog?.models ?? [];
  const loaded = new Set((overview?.status?.loaded ?? []).map((model) => model.name));
  return (
    <table aria-label="Installed models">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Size</th>
          <th scope="col">Quantization</th>
          <th scope="col">Context</th>
          <th scope="col">Fits this machine</th>
          <th scope="col">Chat</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {list.length === 0 && listed ? (
          <tr>
            <td colSpan={7} className="empty">
              No model is installed yet: import a GGUF file or pull one below.
            </td>
          </tr>
        ) : null}
        {list.map((model) => (
          <ModelRow
            key={model.id}
            model={model}
            fit={fits.get(model.id)}
            missing={missing.has(model.id ?? '')}
            loaded={loaded.has(model.id ?? '')}
            busy={busy !== undefined}
            confirming={confirmRemove === model.id}
            onUse={() => void run(`use ${model.id}`, () => models.use(model.id!))}
            onRemove={() => setConfirmRemove(model.id)}
            onConfirmRemove={() => void run(`remove ${model.id}`, () => models.remove(model.id!)).then(() => setConfirmRemove(undefined))}
            onCancelRemove={() => setConfirmRemove(undefined)}
          />
        ))}
      </tbody>
    </table>
  );
}

function ImportModelForm({ busy, run }: { busy: string | undefined; run: RunAction }) {
  const { models } = useServices();
  const [importPath, setImportPath] = useState('');
  const [importName, setImportName] = useState('');
  const importModel = async (event: FormEvent) => {
    event.preventDefault();
    if (await run('import', () => models.import(importPath.trim(), importName.trim() || undefined))) {
      setImportPath('');
      setImportName('');
    }
  };
  return (
    <form className="card model-form" onSubmit={(event) => void importModel(event)}>
      <label className="grow">
        Path of a GGUF file on this machine
        <input value={importPath} onChange={(event) => setImportPath(event.target.value)} placeholder="/home/you/models/model.Q4_K_M.gguf" required />
      </label>
      <label>
        Name (optional)
        <input name="import-name" value={importName} onChange={(event) => setImportName(event.target.value)} />
      </label>
      <button type="submit" className="filled-button" disabled={busy !== undefined || !importPath.trim()}>
        {busy === 'import' ? 'Importing…' : 'Import'}
      </button>
    </form>
  );
}

function PullModelForm({ busy, run, started }: { busy: string | undefined; run: RunAction; started: (pullId: string, source: string) => void }) {
  const { models } = useServices();
  const [source, setSource] = useState('');
  const [pullName, setPullName] = useState('');
  const pullModel = async (event: FormEvent) => {
    event.preventDefault();
    const from = source.trim();
    await run('pull', async () => {
      const { pullId } = await models.pull(from, pullName.trim() || undefined);
      started(pullId, from);
      setSource('');
      setPullName('');
    });
  };
  return (
    <form className="card model-form" onSubmit={(event) => void pullModel(event)}>
      <label className="grow">
        Source (an https URL or hf:owner/repo/file.gguf)
        <input value={source} onChange={(event) => setSource(event.target.value)} required />
      </label>
      <label>
        Name (optional)
        <input name="pull-name" value={pullName} onChange={(event) => setPullName(event.target.value)} />
      </label>
      <button type="submit" className="filled-button" disabled={busy !== undefined || !source.trim()}>
        Pull
      </button>
    </form>
  );
}

function PullList({ pulls }: { pulls: readonly Pull[] }) {
  if (pulls.length === 0) return null;
  return (
    <ul aria-label="Pulls" className="pulls">
      {pulls.map((pull) => {
        const view = pullView(pull.progress);
        return (
          <li key={pull.pullId} className="card pull" data-testid="pull" data-phase={pull.error ? 'failed' : view.phase}>
            <span>{pull.source}</span>
            <progress aria-label={`Pull of ${pull.source}`} max={1} value={view.fraction} />
            <span className="hint">{pull.error ? null : view.text}</span>
            {pull.error ? (
              <span role="alert" className="error">
                {pull.error}
              </span>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

interface ModelRowProps {
  readonly model: CatalogModelJson;
  readonly fit: { fits?: boolean; advice?: string; requiredBytes?: string; availableBytes?: string } | undefined;
  readonly missing: boolean;
  readonly loaded: boolean;
  readonly busy: boolean;
  readonly confirming: boolean;
  readonly onUse: () => void;
  readonly onRemove: () => void;
  readonly onConfirmRemove: () => void;
  readonly onCancelRemove: () => void;
}

function ModelRow({ model, fit, missing, loaded, busy, confirming, onUse, onRemove, onConfirmRemove, onCancelRemove }: ModelRowProps) {
  const chat = isChatModel(model);
  const fitText = missing ? 'file missing' : fit === undefined ? 'unknown' : fit.fits ? 'yes' : 'no';
  return (
    <tr data-testid="model" data-model={model.id} data-chat={chat} data-fits={fit?.fits === true}>
      <th scope="row">
        {model.id}
        {model.displayName ? <span className="hint"> {model.displayName}</span> : null}
        {loaded ? <span className="badge"> loaded</span> : null}
      </th>
      <td>{formatBytes(model.sizeBytes)}</td>
      <td>{model.quantization || '—'}</td>
      <td>{model.contextLength ? `${model.contextLength} tokens` : '—'}</td>
      <td title={fit?.advice || undefined}>
        {fitText}
        {fit && !fit.fits && fit.advice ? <span className="hint"> {fit.advice}</span> : null}
      </td>
      <td>
        {chat ? (
          <strong>in use</strong>
        ) : (
          <button type="button" className="text-button" onClick={onUse} disabled={busy || missing}>
            Use for chat
          </button>
        )}
      </td>
      <td>
        {confirming ? (
          <span role="alertdialog" aria-label={`Remove ${model.id}?`}>
            Remove {model.id} and its file?{' '}
            <button type="button" className="text-button danger" onClick={onConfirmRemove} disabled={busy}>
              Remove for good
            </button>
            <button type="button" className="text-button" onClick={onCancelRemove}>
              Cancel
            </button>
          </span>
        ) : (
          <button type="button" className="text-button danger" onClick={onRemove} disabled={busy}>
            Remove
          </button>
        )}
      </td>
    </tr>
  );
}
