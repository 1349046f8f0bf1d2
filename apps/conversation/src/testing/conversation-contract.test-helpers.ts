// What the conversation contract specs do again and again over their harness: a message sent the way a front end sends
// it, a whole exchange with a scripted reply, a reply stopped, a thread's stored messages read, a refusal checked by its
// code; waits for a reply's delta or a thread change; and the app stopped as if it crashed mid-reply.
import { create } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import {
  ConversationTopics,
  RecordKind,
  RecordSchema,
  ThreadSchema,
  type AvatarSpeech,
  type ChatMessage,
  type Record as StoredRecord,
  type ReplyDelta,
  type ThreadChanged,
} from '@aico/contracts';
import type { ConversationHarness, Seen } from './conversation-harness.test-helpers';
import type { ScriptedGeneration } from './models-stand-in.test-helpers';
import type { StorageStandIn } from './storage-stand-in.test-helpers';

/** The requests of the spec, on the harness `beforeAll` starts (read when a request is made, not before). */
/** The settings both contract specs start the app with: small reply limits the limit tests reach, no checkpoint delay. */
export const CONTRACT_SETTINGS: NodeJS.ProcessEnv = {
  AICO_CONVERSATION__MAX_REPLIES: '3',
  AICO_CONVERSATION__MAX_REPLIES_PER_USER: '2',
  AICO_CONVERSATION__DEFAULT_MAX_TOKENS: '100',
  AICO_CONVERSATION__CHECKPOINT_MS: '0',
};

export function conversationRequests(harness: () => ConversationHarness) {
  const send = (userId: string, text: string, threadId = '') =>
    harness().gateway.request(ConversationTopics.messageSend, { userId, text, threadId, client: 'test' });
  const messages = async (userId: string, threadId: string) =>
    (await harness().gateway.request(ConversationTopics.messagesList, { userId, threadId })).messages;
  const stop = (userId: string, threadId: string, replyId = '') => harness().gateway.request(ConversationTopics.replyStop, { userId, threadId, replyId });
  /** Sends, lets the scripted model write `pieces` and end, and waits for the completion. */
  async function exchange(userId: string, text: string, pieces: string[], threadId = '') {
    const h = harness();
    const seen = h.models.generations.length;
    const sent = await send(userId, text, threadId);
    const generation = await h.models.next(seen);
    generation.write(...pieces);
    generation.end();
    return { sent, generation, completed: await h.completion(sent.replyId) };
  }
  /** The generation asked for after `seen` writes `pieces` and ends; the completion of `replyId` it answers. */
  async function answer(seen: number, replyId: string, ...pieces: string[]) {
    const h = harness();
    const generation = await h.models.next(seen);
    generation.write(...pieces);
    generation.end();
    return h.completion(replyId);
  }
  return { send, messages, stop, exchange, answer };
}

/** The request is refused with `code` (whatever else its error says). */
export const refused = (request: Promise<unknown>, code: string): Promise<void> => expect(request).rejects.toMatchObject({ code });

/** The chat a generation was asked to continue (none for a raw prompt). */
export const chatOf = (generation: ScriptedGeneration): ChatMessage[] =>
  generation.request.input.case === 'chat' ? generation.request.input.value.messages : [];

/** Waits for a delta of reply `replyId` that `matches`. */
export const waitForDelta = (h: ConversationHarness, replyId: string, matches: (delta: ReplyDelta) => boolean, what: string): Promise<Seen> =>
  h.waitFor(
    (event) => event.topic === 'conversation.reply.delta' && (event.payload as ReplyDelta).replyId === replyId && matches(event.payload as ReplyDelta),
    what,
  );

/** Waits for a thread change that `matches`, among the events seen from index `since` on. */
export const waitForThreadChange = (h: ConversationHarness, matches: (change: ThreadChanged) => boolean, what: string, since = 0): Promise<Seen> =>
  h.waitFor((event) => h.seen.indexOf(event) >= since && event.topic === 'conversation.thread.changed' && matches(event.payload as ThreadChanged), what);

/** What the avatar was told to say in one thread, in order. */
export const spokenIn = (h: ConversationHarness, threadId: string): AvatarSpeech[] =>
  h.of<AvatarSpeech>('ui.avatar.speak').filter((speech) => speech.conversationId === threadId);

/** The message records storage still keeps of a thread. */
export const storedMessagesOf = (storage: StorageStandIn, threadId: string): StoredRecord[] =>
  [...storage.records.values()].filter((record) => record.kind.case === 'threadMessage' && record.kind.value.threadId === threadId);

/** Puts a thread of `ownerId` straight into storage, with no message in it (what no request of the app leaves). */
export function putEmptyThread(storage: StorageStandIn, id: string, ownerId: string): void {
  const thread = create(ThreadSchema, { id, ownerId, title: 'empty', createdAt: timestampNow(), updatedAt: timestampNow() });
  storage.records.set(`${RecordKind.THREAD}/${id}`, create(RecordSchema, { kind: { case: 'thread', value: thread } }));
}

/**
 * Stops the app as if it died while reply `replyId` streams: its in-flight list and the streaming reply stay in storage
 * as they were before the stop (a clean stop would have ended them). The test starts it again (`h.startApp()`).
 */
export async function stopAsIfCrashed(h: ConversationHarness, replyId: string): Promise<void> {
  const inFlight = new Map(h.storage.state);
  const streaming = h.storage.records.get(`${RecordKind.THREAD_MESSAGE}/${replyId}`)!;
  await h.running.stop('the test restarts it');
  for (const [key, entry] of inFlight) h.storage.state.set(key, entry);
  h.storage.records.set(`${RecordKind.THREAD_MESSAGE}/${replyId}`, streaming);
}
