// The conversation: send a message (REST), and see the conversation's events arrive live over the WebSocket.
// A sent message shows as "sending" until its own event comes back with the correlation id the gateway returned.
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { ConversationMessageJson } from '@aico/contracts';
import { ApiError } from '../../api/api-client';
import { useSendMessage } from '../../api/queries';
import { useServices } from '../../app/app-context';
import type { LiveEvent } from '../../live/live-events';
import { ErrorAlert } from '../../app/error-alert';

interface ShownEvent {
  readonly key: string;
  readonly topic: string;
  readonly text: string;
  readonly at: string;
  readonly correlationId: string | undefined;
}

const MAX_SHOWN = 200;

export function ConversationPage() {
  const { live } = useServices();
  const [events, setEvents] = useState<readonly ShownEvent[]>([]);
  const [pending, setPending] = useState<ReadonlyMap<string, string>>(new Map());
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string>();
  const send = useSendMessage();
  const logEnd = useRef<HTMLLIElement>(null);

  useEffect(
    () =>
      live.on('conversation.', (event: LiveEvent) => {
        const shown = toShown(event);
        setEvents((current) => [...current, shown].slice(-MAX_SHOWN));
        if (shown.correlationId) {
          setPending((current) => {
            if (!current.has(shown.correlationId!)) return current;
            const next = new Map(current);
            next.delete(shown.correlationId!);
            return next;
          });
        }
      }),
    [live],
  );
  useEffect(() => {
    // A block body: scrollIntoView returns a promise in newer browsers, and an effect may return only a cleanup.
    void logEnd.current?.scrollIntoView?.({ block: 'end' });
  }, [events.length]);

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    const text = draft.trim();
    if (!text) return;
    setError(undefined);
    try {
      const { correlationId } = await send.mutateAsync(text);
      setPending((current) => new Map(current).set(correlationId, text));
      setDraft('');
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.info.message : 'Sending failed. Try again.');
    }
  };
  // Enter sends, Shift+Enter starts a new line.
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      void submit();
    }
  };

  return (
    <section className="page conversation">
      <h1>Conversation</h1>
      <ol role="log" aria-label="Conversation" aria-live="polite" className="conversation-log">
        {events.length === 0 && pending.size === 0 ? <li className="empty">No messages yet. Say hello.</li> : null}
        {events.map((event) => (
          <li key={event.key} className="bubble" data-testid="conversation-event" data-topic={event.topic}>
            <span className="bubble-text">{event.text}</span>
            <time dateTime={event.at}>{new Date(event.at).toLocaleTimeString()}</time>
          </li>
        ))}
        {[...pending].map(([correlationId, text]) => (
          <li key={correlationId} className="bubble pending" aria-busy="true">
            <span className="bubble-text">{text}</span>
            <span className="hint">sending…</span>
          </li>
        ))}
        <li ref={logEnd} aria-hidden="true" className="log-end" />
      </ol>
      <form className="composer" onSubmit={(event) => void submit(event)}>
        <label className="grow">
          Message
          <textarea name="message" rows={2} value={draft} maxLength={16_000} onChange={(event) => setDraft(event.target.value)} onKeyDown={onKeyDown} />
        </label>
        <button type="submit" className="filled-button" disabled={send.isPending || draft.trim() === ''}>
          Send
        </button>
      </form>
      <ErrorAlert error={error} fallback="Sending failed. Try again." />
    </section>
  );
}

let sequence = 0;
function toShown(event: LiveEvent): ShownEvent {
  const message = event.payload as ConversationMessageJson | null;
  return {
    key: `${event.correlationId ?? 'event'}-${++sequence}`,
    topic: event.topic,
    text: typeof message?.text === 'string' ? message.text : event.topic,
    at: new Date().toISOString(),
    correlationId: event.correlationId,
  };
}
