// The Models page (admins): the installed models with size, quantization, context and whether each fits this machine
// now; the one chat uses (and making another the one); import a GGUF file by its path on this machine; pull one from
// a source with a progress bar (the gateway streams the pull's progress to this user's WebSocket); remove one.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { CatalogModelJson } from '@aico/contracts';
import { isChatModel, PULL_COMPLETED_TOPIC, PULL_PROGRESS_TOPIC, type PullCompletedEvent, type PullProgressEvent } from '../../api/models-api';
import { queryKeys } from '../../api/query-keys';
import { useServices } from '../../app/app-context';
import { ErrorAlert } from '../../app/error-alert';
import { formatBytes, pullView } from './pull-progress';
import { PullTracker, type Pull } from './pull-tracker';

export function ModelsPage() {
  const { models, live } = useServices();
  const queryClient = useQueryClient();
  const overview = useQuery({ queryKey: queryKeys.models, queryFn: () => models.list() });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState<string>();
  const [confirmRemove, setConfirmRemove] = useState<string>();
  const [importPath, setImportPath] = useState('');
  const [importName, setImportName] = useState('');
  const [source, setSource] = useState('');
  const [pullName, setPullName] = useState('');
  const tracker = useRef(new PullTracker());
  const [pulls, setPulls] = useState<readonly Pull[]>([]);
  const refresh = () => queryClient.invalidateQueries({ queryKey: queryKeys.models });

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

  const run = async (what: string, task: () => Promise<unknown>) => {
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

  const importModel = async (event: FormEvent) => {
    event.preventDefault();
    if (await run('import', () => models.import(importPath.trim(), importName.trim() || undefined))) {
      setImportPath('');
      setImportName('');
    }
  };

  const pullModel = async (event: FormEvent) => {
    event.preventDefault();
    const from = source.trim();
    await run('pull', async () => {
      const { pullId } = await models.pull(from, pullName.trim() || undefined);
      setPulls(tracker.current.started(pullId, from));
      setSource('');
      setPullName('');
    });
  };

  const catalog = overview.data?.catalog;
  const fits = new Map((catalog?.fits ?? []).map((fit) => [fit.model, fit]));
  const missing = new Set(catalog?.missingFiles ?? []);
  const list = catalog?.models ?? [];
  const loaded = new Set((overview.data?.status?.loaded ?? []).map((model) => model.name));

  return (
    <section className="page models">
      <h1>Models</h1>
      <p className="hint">Language models run on this machine only. {catalog?.modelsDir ? <>Files are kept in {catalog.modelsDir}.</> : null}</p>
      <ErrorAlert error={overview.error ?? error} fallback="The models could not be read or changed." />
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
          {list.length === 0 && overview.isSuccess ? (
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

      <h2>Import a model file</h2>
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

      <h2>Pull a model</h2>
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
      {pulls.length > 0 ? (
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
      ) : null}
    </section>
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
      <td>{chat ? <strong>in use</strong> : <button type="button" className="text-button" onClick={onUse} disabled={busy || missing}>Use for chat</button>}</td>
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
