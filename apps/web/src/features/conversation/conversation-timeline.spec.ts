import { ConversationTimeline } from './conversation-timeline';
import { describeWaiting } from './reply-reorder-buffer';

const THREAD = 't-1';
const answer = { messageId: 'm-1', replyId: 'r-1', threadId: THREAD };
const receivedEvent = { id: 'm-1', text: 'Hello', conversationId: THREAD, replyId: 'r-1', userId: 'u' };

const users = (timeline: ConversationTimeline) =>
  timeline.current.filter((message) => message.role === 'user').map((message) => ({ id: message.id, text: message.text, status: message.status }));

describe('ConversationTimeline: a sent message is shown once', () => {
  it('the WebSocket event before the POST answer (the order a new user met): one message, not stuck at "sending…"', () => {
    const timeline = new ConversationTimeline();
    const key = timeline.sending('Hello', THREAD);
    timeline.received(receivedEvent);
    timeline.sent(key, answer);
    expect(users(timeline)).toEqual([{ id: 'm-1', text: 'Hello', status: 'sent' }]);
    // and its reply has one bubble
    expect(timeline.current.filter((message) => message.role === 'assistant').map((message) => message.id)).toEqual(['r-1']);
  });

  it('a POST that timed out although the message was stored: the event turns the copy marked not sent into the message', () => {
    const timeline = new ConversationTimeline();
    const key = timeline.sending('Hello', THREAD);
    timeline.notSent(key, 'The companion did not answer in time.');
    timeline.received(receivedEvent);
    expect(users(timeline)).toEqual([{ id: 'm-1', text: 'Hello', status: 'sent' }]);
    expect(timeline.current.find((message) => message.role === 'user')?.error).toBeUndefined();
  });

  it('the POST answer before the event: one message', () => {
    const timeline = new ConversationTimeline();
    const key = timeline.sending('Hello', THREAD);
    timeline.sent(key, answer);
    timeline.received(receivedEvent);
    expect(users(timeline)).toEqual([{ id: 'm-1', text: 'Hello', status: 'sent' }]);
  });

  it('the first message of a new thread, its event first: it takes the new thread id', () => {
    const timeline = new ConversationTimeline();
    const key = timeline.sending('Hello', undefined);
    timeline.received(receivedEvent);
    expect(timeline.of(THREAD).map((message) => message.status)).toEqual(['sent', 'streaming']);
    timeline.sent(key, answer);
    expect(timeline.of(THREAD).filter((message) => message.role === 'user')).toHaveLength(1);
    expect(timeline.of(undefined)).toHaveLength(0);
  });

  it('the same text sent twice quickly stays two messages', () => {
    const timeline = new ConversationTimeline();
    const first = timeline.sending('again', THREAD);
    const second = timeline.sending('again', THREAD);
    timeline.received({ ...receivedEvent, id: 'm-1', text: 'again', replyId: 'r-1' });
    timeline.received({ ...receivedEvent, id: 'm-2', text: 'again', replyId: 'r-2' });
    timeline.sent(second, { messageId: 'm-2', replyId: 'r-2', threadId: THREAD });
    timeline.sent(first, { messageId: 'm-1', replyId: 'r-1', threadId: THREAD });
    expect(users(timeline)).toEqual([
      { id: 'm-1', text: 'again', status: 'sent' },
      { id: 'm-2', text: 'again', status: 'sent' },
    ]);
  });

  it('a message another front end sent shows as it arrives; a failed POST keeps the text, marked not sent', () => {
    const timeline = new ConversationTimeline();
    timeline.received({ ...receivedEvent, id: 'm-9', text: 'from the terminal' });
    const key = timeline.sending('lost', THREAD);
    timeline.notSent(key, 'aico cannot be reached.');
    expect(users(timeline)).toEqual([
      { id: 'm-9', text: 'from the terminal', status: 'sent' },
      { id: undefined, text: 'lost', status: 'not-sent' },
    ]);
  });
});

describe('ConversationTimeline: a reply', () => {
  it('streams in sequence order even when deltas arrive out of order, then takes the completed text and status', () => {
    const timeline = new ConversationTimeline((progress) => describeWaiting(progress.waiting));
    timeline.sent(timeline.sending('Hi', THREAD), answer);
    const reply = () => timeline.current.find((message) => message.id === 'r-1')!;
    timeline.delta({ replyId: 'r-1', threadId: THREAD, sequence: '1', waiting: { stage: 'queued', position: 2 } });
    expect(reply()).toMatchObject({ text: '', waiting: 'queued, position 2', status: 'streaming' });
    timeline.delta({ replyId: 'r-1', threadId: THREAD, sequence: '3', text: ' there' });
    expect(reply().text).toBe('');
    timeline.delta({ replyId: 'r-1', threadId: THREAD, sequence: '2', text: 'Hello' });
    expect(reply()).toMatchObject({ text: 'Hello there', waiting: undefined });
    timeline.completed({ replyId: 'r-1', threadId: THREAD, status: 'MESSAGE_STATUS_COMPLETE', text: 'Hello there.', deltas: '3' });
    expect(reply()).toMatchObject({ text: 'Hello there.', status: 'complete' });
    // a late delta changes nothing
    timeline.delta({ replyId: 'r-1', threadId: THREAD, sequence: '4', text: 'late' });
    expect(reply().text).toBe('Hello there.');
  });

  it('a stopped reply keeps its partial text marked stopped; a failed one shows its error', () => {
    const timeline = new ConversationTimeline();
    timeline.delta({ replyId: 'r-1', threadId: THREAD, sequence: '1', text: 'Part' });
    timeline.completed({ replyId: 'r-1', threadId: THREAD, status: 'MESSAGE_STATUS_STOPPED', text: 'Part' });
    timeline.completed({
      replyId: 'r-2',
      threadId: THREAD,
      status: 'MESSAGE_STATUS_FAILED',
      errorCode: 'CONVERSATION_MODELS_UNAVAILABLE',
      errorMessage: 'The models service did not answer.',
    });
    expect(timeline.current.map(({ id, status, text, error }) => ({ id, status, text, error }))).toEqual([
      { id: 'r-1', status: 'stopped', text: 'Part', error: undefined },
      { id: 'r-2', status: 'failed', text: '', error: 'The models service did not answer.' },
    ]);
  });

  it('regenerate whose new reply streams (even completes) before the POST answers: the old reply goes, the new one stays', () => {
    const timeline = new ConversationTimeline();
    timeline.loaded(THREAD, [
      { id: 'm-1', role: 'MESSAGE_ROLE_USER', text: 'Hi', status: 'MESSAGE_STATUS_COMPLETE' },
      { id: 'r-0', role: 'MESSAGE_ROLE_ASSISTANT', text: 'Old answer', status: 'MESSAGE_STATUS_COMPLETE' },
    ]);
    timeline.delta({ replyId: 'r-1', threadId: THREAD, sequence: '1', text: 'New answer' });
    timeline.completed({ replyId: 'r-1', threadId: THREAD, status: 'MESSAGE_STATUS_COMPLETE', text: 'New answer' });
    timeline.regenerating(THREAD, 'r-1');
    expect(timeline.of(THREAD).map(({ id, text, status }) => ({ id, text, status }))).toEqual([
      { id: 'm-1', text: 'Hi', status: 'sent' },
      { id: 'r-1', text: 'New answer', status: 'complete' },
    ]);
  });

  it('history read while a reply streams keeps the streamed text, and drops a reply replaced by regenerate', () => {
    const timeline = new ConversationTimeline();
    timeline.loaded(THREAD, [
      { id: 'm-1', role: 'MESSAGE_ROLE_USER', text: 'Hi', status: 'MESSAGE_STATUS_COMPLETE' },
      { id: 'r-0', role: 'MESSAGE_ROLE_ASSISTANT', text: 'Old answer', status: 'MESSAGE_STATUS_COMPLETE' },
    ]);
    timeline.regenerating(THREAD, 'r-1');
    timeline.delta({ replyId: 'r-1', threadId: THREAD, sequence: '1', text: 'New ans' });
    timeline.loaded(THREAD, [
      { id: 'm-1', role: 'MESSAGE_ROLE_USER', text: 'Hi', status: 'MESSAGE_STATUS_COMPLETE' },
      { id: 'r-1', role: 'MESSAGE_ROLE_ASSISTANT', text: 'New', status: 'MESSAGE_STATUS_STREAMING' },
    ]);
    expect(timeline.of(THREAD).map(({ id, text, status }) => ({ id, text, status }))).toEqual([
      { id: 'm-1', text: 'Hi', status: 'sent' },
      { id: 'r-1', text: 'New ans', status: 'streaming' },
    ]);
    expect(timeline.streaming(THREAD)?.id).toBe('r-1');
  });
});
