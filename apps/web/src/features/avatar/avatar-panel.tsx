// The avatar panel: the embeddable avatar page (/embed/avatar/, apps/avatar) in an iframe, driven through the versioned
// postMessage bridge (@aico/avatar-protocol). It speaks what arrives on `ui.avatar.speak` over the WebSocket (the
// companion's replies, sentence by sentence while the model writes; "Speak" below publishes there too, so every open
// front end of the user speaks), one sentence after another (SpeechQueue); `ui.avatar.stop` and Stop empty the queue
// and stop the avatar. It says plainly when there is no avatar (page not built, model refused). Beside the
// conversation it shows only the avatar, follows that conversation's speech, and stops with its Stop button.
import { useEffect, useRef, useState, type FormEvent, type RefObject } from 'react';
import type { AvatarSpeechJson, AvatarStopJson } from '@aico/contracts';
import { AvatarHost, EXPRESSIONS, type Expression } from '@aico/avatar-protocol';
import { useServices } from '../../app/app-context';
import { avatarSpeaker } from './avatar-speaker';
import { SpeechQueue } from './speech-queue';

type Status = { kind: 'loading' } | { kind: 'ready'; model: string } | { kind: 'speaking'; model: string } | { kind: 'failed'; message: string };

const AVATAR_PAGE = '/embed/avatar/';
const READY_TIMEOUT_MS = 20_000;

export interface AvatarPanelProps {
  /** Shown beside the conversation: the avatar only, following that thread's speech. */
  readonly beside?: boolean;
  /** The conversation shown beside it: speech of other threads is not said here. */
  readonly threadId?: string | undefined;
  /** Bumped by the conversation's Stop button: the queue empties and the avatar stops. */
  readonly stopSignal?: number;
}

export function AvatarPanel({ beside = false, threadId, stopSignal = 0 }: AvatarPanelProps) {
  const frame = useRef<HTMLIFrameElement>(null);
  const host = useRef<AvatarHost | undefined>(undefined);
  const queue = useRef<SpeechQueue>(new SpeechQueue(avatarSpeaker(() => host.current)));
  const [notice, setNotice] = useState<string>();
  const status = useAvatarHost(frame, host, queue.current, setNotice);
  useAvatarSpeech(queue.current, beside, threadId, stopSignal);
  const stage = <AvatarStage frame={frame} status={status} />;

  if (beside) {
    return (
      <aside className="avatar-beside" aria-label="Avatar">
        {stage}
      </aside>
    );
  }

  return (
    <section className="page avatar">
      <h1>Avatar</h1>
      {stage}
      <SpeakForm status={status} queue={queue.current} />
      <OwnModelInput status={status} host={host} setNotice={setNotice} />
      {notice ? (
        <p role="status" className="hint" data-testid="avatar-notice">
          {notice}
        </p>
      ) : null}
    </section>
  );
}

/** The avatar page in `frame` through the postMessage bridge: its status, and a notice when it refused a command. */
function useAvatarHost(
  frame: RefObject<HTMLIFrameElement | null>,
  host: RefObject<AvatarHost | undefined>,
  queue: SpeechQueue,
  setNotice: (notice: string) => void,
): Status {
  const [status, setStatus] = useState<Status>({ kind: 'loading' });
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
    const giveUp = window.setTimeout(
      () =>
        setStatus((current) =>
          current.kind === 'loading' ? { kind: 'failed', message: 'The avatar page did not start. Is it built (npx nx build avatar)?' } : current,
        ),
      READY_TIMEOUT_MS,
    );
    return () => {
      window.clearTimeout(giveUp);
      queue.clear();
      for (const stop of stops) stop();
      avatar.dispose();
      host.current = undefined;
    };
    // The frame, host and queue are the panel's own for its whole life.
  }, []);
  return status;
}

/** What arrives on `ui.avatar.speak`/`ui.avatar.stop` for this panel goes to the queue; so does the Stop signal. */
function useAvatarSpeech(queue: SpeechQueue, beside: boolean, threadId: string | undefined, stopSignal: number): void {
  const { live } = useServices();
  const thread = useRef(threadId);
  thread.current = threadId;
  useEffect(() => {
    /** Beside a conversation, speech that names another thread is not for this panel. */
    const forThisPanel = (conversationId: string | undefined) => !beside || !thread.current || !conversationId || conversationId === thread.current;
    const stops = [
      live.on('ui.avatar.speak', (event) => {
        const speech = event.payload as AvatarSpeechJson | null;
        if (speech?.text && forThisPanel(speech.conversationId)) queue.enqueue(speech.text, speech.expression);
      }),
      live.on('ui.avatar.stop', (event) => {
        if (forThisPanel((event.payload as AvatarStopJson | null)?.conversationId)) queue.clear();
      }),
    ];
    return () => {
      for (const stop of stops) stop();
    };
  }, [live, queue, beside]);
  useEffect(() => {
    if (stopSignal > 0) queue.clear();
  }, [queue, stopSignal]);
}

function AvatarStage({ frame, status }: { frame: RefObject<HTMLIFrameElement | null>; status: Status }) {
  return (
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
  );
}

function SpeakForm({ status, queue }: { status: Status; queue: SpeechQueue }) {
  const { publish } = useServices();
  const [text, setText] = useState('');
  const [expression, setExpression] = useState<Expression>('neutral');
  const speak = (event: FormEvent) => {
    event.preventDefault();
    const words = text.trim();
    if (!words) return;
    // Through the gateway, so every front end of this user speaks; straight to the avatar when offline.
    if (!publish('ui.avatar.speak', { text: words, expression })) queue.enqueue(words, expression);
    setText('');
  };
  return (
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
      <button type="button" className="outlined-button" onClick={() => queue.clear()} disabled={status.kind !== 'speaking'}>
        Stop
      </button>
    </form>
  );
}

/** The user's own Ready Player Me-style model, from their disk: handed to the page as a blob: URL (never uploaded). */
function OwnModelInput({
  status,
  host,
  setNotice,
}: {
  status: Status;
  host: RefObject<AvatarHost | undefined>;
  setNotice: (notice: string | undefined) => void;
}) {
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
    <label className="file-row">
      Your own avatar (a Ready Player Me-style .glb file)
      <input
        type="file"
        accept=".glb,model/gltf-binary"
        onChange={(event) => void loadOwnModel(event.target.files?.[0])}
        disabled={status.kind === 'loading' || status.kind === 'failed'}
      />
    </label>
  );
}
