// The conversation: the user's threads, the selected thread's messages with the reply growing as it streams (in
// order, whatever order its pieces arrive in), a composer, Stop while a reply is written, Regenerate on the last
// reply, and the avatar beside it when the user wants (remembered). A message sent shows once: the timeline matches
// the POST's answer and the WebSocket's event by the message id, whichever comes first.
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type FormEvent, type KeyboardEvent } from 'react';
import { useSearchParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import type { ThreadJson } from '@aico/contracts';
import { ConversationErrorCode, MAX_CONVERSATION_MESSAGE_CHARS } from '@aico/contracts/browser';
import { ApiError } from '../../api/api-client';
import { queryKeys } from '../../api/query-keys';
import { useServices } from '../../app/app-context';
import { ErrorAlert } from '../../app/error-alert';
import { useBusyTask } from '../../app/use-busy-task';
import { AvatarPanel } from '../avatar/avatar-panel';
import { useNoModel, useThreadMessages, useThreads } from './conversation-queries';
import type { ShownMessage } from './conversation-timeline';
import { NoModelNotice } from './no-model-notice';
import { ThreadHeader } from './thread-header';
import { ThreadList } from './thread-list';

const AVATAR_BESIDE_KEY = 'aico.conversation.avatarBeside';

export function ConversationPage() {
  const [params, setParams] = useSearchParams();
  const selected = params.get('thread') ?? undefined;
  const select = (threadId: string | undefined) => setParams(threadId ? { thread: threadId } : {}, { replace: false });
  const [error, setError] = useState<unknown>();
  const [avatarBeside, toggleAvatar] = useAvatarBeside();
  const { messages, streaming, history, thread } = useThreadTimeline(selected);
  const send = useSend(selected, select, streaming, setError);
  const reply = useReplyActions(selected, streaming, setError);
  const noModelInstalled = useNoModel();
  const noModel =
    noModelInstalled === true ||
    send.errorCode === ConversationErrorCode.NoModel ||
    messages.some((message) => message.errorCode === ConversationErrorCode.NoModel);

  return (
    <section className="page conversation">
      <div className="page-title-row">
        <h1>Conversation</h1>
        <button type="button" className="outlined-button" aria-pressed={avatarBeside} onClick={toggleAvatar}>
          {avatarBeside ? 'Hide the avatar' : 'Show the avatar beside'}
        </button>
      </div>
      <div className={`conversation-layout${avatarBeside ? ' with-avatar' : ''}`}>
        <ThreadList selected={selected} onSelect={(chosen) => select(chosen.id)} onNew={() => select(undefined)} />
        <div className="thread">
          {thread ? <ThreadHeader key={thread.id} thread={thread} onDeleted={() => select(undefined)} /> : <h2>New conversation</h2>}
          {noModel ? <NoModelNotice /> : null}
          <ErrorAlert error={history.error} fallback="This conversation could not be read." />
          <ConversationLog messages={messages} loading={history.isLoading} canRegenerate={!streaming && !reply.acting} onRegenerate={reply.regenerate} />
          <Composer
            draft={send.draft}
            setDraft={send.setDraft}
            submit={send.submit}
            streaming={streaming !== undefined}
            acting={reply.acting}
            onStop={reply.stop}
          />
          <ErrorAlert error={error} fallback="That did not work. Try again." />
        </div>
        {avatarBeside ? <AvatarPanel beside threadId={selected} stopSignal={reply.stopSignal} /> : null}
      </div>
    </section>
  );
}

/** Whether the avatar shows beside the conversation (remembered in this browser), and the switch. */
function useAvatarBeside(): [boolean, () => void] {
  const [avatarBeside, setAvatarBeside] = useState(() => localStorage.getItem(AVATAR_BESIDE_KEY) === '1');
  const toggle = () => {
    const next = !avatarBeside;
    localStorage.setItem(AVATAR_BESIDE_KEY, next ? '1' : '0');
    setAvatarBeside(next);
  };
  return [avatarBeside, toggle];
}

/** The selected thread's messages from the session's timeline, its stored history, and the thread itself. */
function useThreadTimeline(selected: string | undefined) {
  const { timeline } = useServices();
  // A reply arrives as hundreds of pieces a second: the screen follows them once per frame, not once per piece (a
  // render per piece kept the browser's main thread busy, the avatar's page with it).
  const subscribe = useCallback((listener: () => void) => timeline.subscribe(oncePerFrame(listener)), [timeline]);
  const all = useSyncExternalStore(subscribe, () => timeline.current);
  const messages = useMemo(() => all.filter((message) => message.threadId === selected), [all, selected]);
  const streaming = messages.find((message) => message.role === 'assistant' && message.status === 'streaming');
  const history = useThreadMessages(selected);
  const threads = useThreads();
  const thread: ThreadJson | undefined = useMemo(() => {
    if (!selected) return undefined;
    const listed = (threads.data?.pages ?? []).flatMap((page) => page.threads ?? []).find((candidate) => candidate.id === selected);
    return listed ?? { id: selected, title: messages.find((message) => message.role === 'user')?.text.slice(0, 80) ?? '' };
  }, [threads.data, selected, messages]);
  return { messages, streaming, history, thread };
}

/** The draft and sending it: shown at once, matched with the gateway's answer, marked not sent when it fails. */
function useSend(
  selected: string | undefined,
  select: (threadId: string | undefined) => void,
  streaming: ShownMessage | undefined,
  setError: (error: unknown) => void,
) {
  const { conversation, timeline } = useServices();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState('');
  const [errorCode, setErrorCode] = useState<string>();
  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    const text = draft.trim();
    if (!text || streaming) return;
    setError(undefined);
    setErrorCode(undefined);
    const key = timeline.sending(text, selected);
    setDraft('');
    try {
      const answer = await conversation.send(text, selected);
      timeline.sent(key, answer);
      if (answer.threadId !== selected) select(answer.threadId);
      void queryClient.invalidateQueries({ queryKey: queryKeys.threads });
    } catch (caught) {
      const message = caught instanceof ApiError ? caught.info.message : 'Sending failed. Try again.';
      timeline.notSent(key, message);
      setErrorCode(caught instanceof ApiError ? caught.info.code : undefined);
      setError(caught);
    }
  };
  return { draft, setDraft, submit, errorCode };
}

/** Stop (the avatar at once, the reply through the gateway) and Regenerate, one at a time. */
function useReplyActions(selected: string | undefined, streaming: ShownMessage | undefined, setError: (error: unknown) => void) {
  const { conversation, timeline } = useServices();
  const [stopSignal, setStopSignal] = useState(0);
  const { busy: acting, run: act } = useBusyTask(setError);
  const stop = () => {
    // The avatar stops at once, whatever the gateway answers.
    setStopSignal((count) => count + 1);
    if (!selected || !streaming) return;
    void act(async () => {
      try {
        await conversation.stop(selected, streaming.id);
      } catch (caught) {
        // The reply ended meanwhile: nothing left to stop.
        if (!(caught instanceof ApiError && caught.info.code === ConversationErrorCode.ReplyNotRunning)) throw caught;
      }
    });
  };
  const regenerate = () => {
    if (!selected) return;
    void act(async () => {
      const answer = await conversation.regenerate(selected);
      timeline.regenerating(selected, answer.replyId);
    });
  };
  return { stopSignal, acting, stop, regenerate };
}

function ConversationLog({
  messages,
  loading,
  canRegenerate,
  onRegenerate,
}: {
  messages: readonly ShownMessage[];
  loading: boolean;
  canRegenerate: boolean;
  onRegenerate: () => void;
}) {
  const logEnd = useRef<HTMLLIElement>(null);
  useEffect(() => {
    // A block body: scrollIntoView returns a promise in newer browsers, and an effect may return only a cleanup.
    void logEnd.current?.scrollIntoView?.({ block: 'end' });
  }, [messages.length, messages.at(-1)?.text.length]);
  const lastReply = messages.at(-1)?.role === 'assistant' ? messages.at(-1) : undefined;
  return (
    <ol role="log" aria-label="Conversation" aria-live="polite" className="conversation-log">
      {messages.length === 0 && !loading ? <li className="empty">No messages yet. Say hello.</li> : null}
      {messages.map((message) => (
        <MessageBubble key={message.key} message={message} canRegenerate={message === lastReply && canRegenerate} onRegenerate={onRegenerate} />
      ))}
      <li ref={logEnd} aria-hidden="true" className="log-end" />
    </ol>
  );
}

interface ComposerProps {
  readonly draft: string;
  readonly setDraft: (draft: string) => void;
  readonly submit: (event?: FormEvent) => Promise<void>;
  readonly streaming: boolean;
  readonly acting: boolean;
  readonly onStop: () => void;
}

function Composer({ draft, setDraft, submit, streaming, acting, onStop }: ComposerProps) {
  // Enter sends, Shift+Enter starts a new line.
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      void submit();
    }
  };
  return (
    <form className="composer" onSubmit={(event) => void submit(event)}>
      <label className="grow">
        Message
        <textarea
          name="message"
          rows={2}
          value={draft}
          maxLength={MAX_CONVERSATION_MESSAGE_CHARS}
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={onKeyDown}
        />
      </label>
      {streaming ? (
        <button type="button" className="filled-button danger" onClick={onStop} disabled={acting}>
          Stop
        </button>
      ) : (
        <button type="submit" className="filled-button" disabled={draft.trim() === ''}>
          Send
        </button>
      )}
    </form>
  );
}

/** Calls `listener` at the next animation frame, once however often it is asked before then. */
function oncePerFrame(listener: () => void): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      listener();
    });
  };
}

const STATUS_TEXT: Partial<Record<ShownMessage['status'], string>> = { sending: 'sending…', 'not-sent': 'not sent', stopped: 'stopped', failed: 'failed' };

function MessageBubble({ message, canRegenerate, onRegenerate }: { message: ShownMessage; canRegenerate: boolean; onRegenerate: () => void }) {
  const hint = message.status === 'streaming' ? (message.text ? undefined : (message.waiting ?? 'starting…')) : STATUS_TEXT[message.status];
  return (
    <li
      className={`bubble ${message.role}${message.status === 'sending' ? ' pending' : ''}`}
      data-testid="message"
      data-role={message.role}
      data-status={message.status}
      data-message-id={message.id}
      aria-busy={message.status === 'sending' || message.status === 'streaming'}
    >
      <span className="bubble-text" data-testid="message-text">
        {message.text}
      </span>
      {hint ? (
        <span className="hint" data-testid="message-hint">
          {hint}
        </span>
      ) : null}
      {message.error ? (
        <span role="alert" className="error">
          {message.error}
        </span>
      ) : null}
      {canRegenerate ? (
        <button type="button" className="text-button" onClick={onRegenerate}>
          Regenerate
        </button>
      ) : null}
    </li>
  );
}
