// The avatar panel: the embeddable avatar page (/embed/avatar/, apps/avatar) in an iframe, driven through the versioned
// postMessage bridge (@aico/avatar-protocol). It speaks what arrives on `ui.avatar.speak` over the WebSocket (a
// companion's replies; "Speak" below publishes there too, so every open front end of the user speaks), and says
// plainly when there is no avatar (page not built, model refused).
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { AvatarSpeechJson } from '@aico/contracts';
import { AvatarHost, EXPRESSIONS, type Expression } from '@aico/avatar-protocol';
import { useServices } from '../../app/app-context';

type Status = { kind: 'loading' } | { kind: 'ready'; model: string } | { kind: 'speaking'; model: string } | { kind: 'failed'; message: string };

const AVATAR_PAGE = '/embed/avatar/';
const READY_TIMEOUT_MS = 20_000;

export function AvatarPanel() {
  const { live, publish } = useServices();
  const frame = useRef<HTMLIFrameElement>(null);
  const host = useRef<AvatarHost | undefined>(undefined);
  const [status, setStatus] = useState<Status>({ kind: 'loading' });
  const [text, setText] = useState('');
  const [expression, setExpression] = useState<Expression>('neutral');
  const [notice, setNotice] = useState<string>();

  useEffect(() => {
    const target = frame.current?.contentWindow;
    if (!target) return;
    const avatar = new AvatarHost(target, { avatarOrigin: location.origin, listen: window, source: target });
    host.current = avatar;
    const stops = [
      avatar.on('ready', (event) => setStatus({ kind: 'ready', model: event.model.name })),
      avatar.on('speechStart', () => setStatus((current) => (current.kind === 'ready' ? { ...current, kind: 'speaking' } : current))),
      avatar.on('speechEnd', () => setStatus((current) => (current.kind === 'speaking' ? { ...current, kind: 'ready' } : current))),
      // Without an id the page could not start (no avatar at all); a refused command leaves the avatar as it was.
      avatar.on('error', (event) => (event.id ? setNotice(event.message) : setStatus({ kind: 'failed', message: event.message }))),
    ];
    // A page that never says ready (not built, or it cannot start) is a failure the user should see, not a spinner.
    const giveUp = window.setTimeout(() => setStatus((current) => (current.kind === 'loading' ? { kind: 'failed', message: 'The avatar page did not start. Is it built (npx nx build avatar)?' } : current)), READY_TIMEOUT_MS);
    return () => {
      window.clearTimeout(giveUp);
      for (const stop of stops) stop();
      avatar.dispose();
      host.current = undefined;
    };
  }, []);

  /** Says `words` with this avatar (in the expression, when one is given); its errors arrive as events. */
  const speakHere = (words: string, mood: Expression | undefined) => {
    if (mood) void host.current?.send({ type: 'setExpression', expression: mood, transitionMs: 250 }).catch(() => undefined);
    void host.current?.send({ type: 'speak', text: words }).catch(() => undefined);
  };

  useEffect(
    () =>
      live.on('ui.avatar.speak', (event) => {
        const speech = event.payload as AvatarSpeechJson | null;
        if (speech?.text) speakHere(speech.text, EXPRESSIONS.find((name) => name === speech.expression));
      }),
    // speakHere reads only the host ref, so the subscription need not follow it.
    [live],
  );

  const speak = (event: FormEvent) => {
    event.preventDefault();
    const words = text.trim();
    if (!words) return;
    // Through the gateway, so every front end of this user speaks; straight to the avatar when offline.
    if (!publish('ui.avatar.speak', { text: words, expression })) speakHere(words, expression);
    setText('');
  };

  // The user's own Ready Player Me-style model, from their disk: handed to the page as a blob: URL (never uploaded).
  const loadOwnModel = async (file: File | undefined) => {
    if (!file || !host.current) return;
    setNotice(undefined);
    const url = URL.createObjectURL(file);
    try {
      await host.current.send({ type: 'load', url });
      setNotice(`Loaded ${file.name}.`);
    } catch (error) {
      setNotice((error as Error).message);
    } finally {
      URL.revokeObjectURL(url);
    }
  };

  return (
    <section className="page avatar">
      <h1>Avatar</h1>
      <div className="card avatar-stage" data-testid="avatar-status" data-state={status.kind}>
        <iframe ref={frame} src={AVATAR_PAGE} title="aico avatar" className={status.kind === 'failed' ? 'hidden' : ''} />
        {status.kind === 'failed' ? (
          <div className="empty-state">
            <p>
              <strong>No avatar yet</strong>
            </p>
            <p role="alert" className="hint">
              {status.message}
            </p>
          </div>
        ) : null}
        {status.kind === 'loading' ? <p className="hint overlay">Loading the avatar…</p> : null}
      </div>
      <form className="composer" onSubmit={speak}>
        <label className="grow">
          Say something
          <input value={text} maxLength={2_000} onChange={(event) => setText(event.target.value)} />
        </label>
        <label>
          Expression
          <select value={expression} onChange={(event) => setExpression(event.target.value as Expression)}>
            {EXPRESSIONS.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="filled-button" disabled={status.kind === 'loading' || status.kind === 'failed' || text.trim() === ''}>
          Speak
        </button>
        <button type="button" className="outlined-button" onClick={() => void host.current?.send({ type: 'stop' }).catch(() => undefined)} disabled={status.kind !== 'speaking'}>
          Stop
        </button>
      </form>
      <label className="file-row">
        Your own avatar (a Ready Player Me-style .glb file)
        <input type="file" accept=".glb,model/gltf-binary" onChange={(event) => void loadOwnModel(event.target.files?.[0])} disabled={status.kind === 'loading' || status.kind === 'failed'} />
      </label>
      {notice ? (
        <p role="status" className="hint" data-testid="avatar-notice">
          {notice}
        </p>
      ) : null}
    </section>
  );
}
