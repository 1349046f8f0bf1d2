// The conversation app's threads and persona through its bus contract, on the same harness as conversation.contract-spec.ts
// (the real app in this process behind a real CURVE proxy, storage and the models service stood in for): a user's
// threads listed and paged, renamed, exported and deleted, and the persona an admin saves, checked field by field.
// The replies themselves (streaming, stopping, limits, failures, a restart) are in conversation.contract-spec.ts.
import { ConversationErrorCode, ConversationTopics, ExportFormat, type ConversationMessage } from '@aico/contracts';
import { ConversationHarness } from './testing/conversation-harness.test-helpers';
import {
  CONTRACT_SETTINGS,
  conversationRequests,
  refused,
  spokenIn,
  storedMessagesOf,
  waitForThreadChange,
} from './testing/conversation-contract.test-helpers';

jest.setTimeout(120_000);

describe('conversation app contract: threads and persona', () => {
  let h: ConversationHarness;
  const { exchange } = conversationRequests(() => h);

  beforeAll(async () => {
    h = await ConversationHarness.start(CONTRACT_SETTINGS);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('refuses a forged page token (a time past what a date can hold) as invalid, not as a failure', async () => {
    const forged = Buffer.from(JSON.stringify({ t: 1e300, i: 'x' })).toString('base64url');
    await refused(h.gateway.request(ConversationTopics.threadsList, { userId: 'ann', pageToken: forged }), ConversationErrorCode.InvalidArgument);
  });

  it('lists a user’s threads most recently updated first, page by page, and pages a thread’s messages oldest first', async () => {
    const ids: string[] = [];
    for (const text of ['t1', 't2', 't3']) ids.push((await exchange('eve', text, ['r'])).sent.thread!.id);
    // Updating the oldest moves it to the front.
    await exchange('eve', 'bump', ['r'], ids[0]);
    const first = await h.gateway.request(ConversationTopics.threadsList, { userId: 'eve', limit: 2 });
    expect(first.threads.map((t) => t.id)).toEqual([ids[0], ids[2]]);
    const second = await h.gateway.request(ConversationTopics.threadsList, { userId: 'eve', limit: 2, pageToken: first.nextPageToken });
    expect(second.threads.map((t) => t.id)).toEqual([ids[1]]);
    expect(second.nextPageToken).toBe('');
    await refused(h.gateway.request(ConversationTopics.threadsList, { userId: 'eve', pageToken: 'garbage' }), ConversationErrorCode.InvalidArgument);

    const page = await h.gateway.request(ConversationTopics.messagesList, { userId: 'eve', threadId: ids[0]!, limit: 3 });
    expect(page.messages.map((m) => m.text)).toEqual(['t1', 'r', 'bump']);
    const rest = await h.gateway.request(ConversationTopics.messagesList, { userId: 'eve', threadId: ids[0]!, afterId: page.nextId, limit: 3 });
    expect(rest).toMatchObject({ messages: [expect.objectContaining({ text: 'r' })], nextId: '' });
    expect((await h.gateway.request(ConversationTopics.threadGet, { userId: 'eve', threadId: ids[0]! })).thread).toMatchObject({ id: ids[0], messageCount: 4 });
  });

  it('renames (title checked), exports as Markdown and JSON, and deletes a thread with its messages, telling the owner each time', async () => {
    const { sent } = await exchange('fay', 'Plans for the weekend', ['Hiking sounds good.']);
    const threadId = sent.thread!.id;
    await expect(h.gateway.request(ConversationTopics.threadRename, { userId: 'fay', threadId, title: '   ' })).rejects.toMatchObject({
      code: ConversationErrorCode.InvalidArgument,
      details: { field: 'title' },
    });
    await refused(
      h.gateway.request(ConversationTopics.threadRename, { userId: 'fay', threadId, title: 'x'.repeat(201) }),
      ConversationErrorCode.InvalidArgument,
    );
    const since = h.seen.length;
    expect((await h.gateway.request(ConversationTopics.threadRename, { userId: 'fay', threadId, title: ' Weekend ' })).thread).toMatchObject({
      title: 'Weekend',
    });
    await waitForThreadChange(h, (change) => change.thread?.title === 'Weekend', 'the rename told', since);

    const markdown = await h.gateway.request(ConversationTopics.threadExport, { userId: 'fay', threadId, format: ExportFormat.MARKDOWN });
    expect(markdown).toMatchObject({ fileName: 'conversation-weekend.md', contentType: 'text/markdown; charset=utf-8' });
    expect(markdown.content).toMatch(/^# Weekend\n[\s\S]*## You \([^)]+\)\n\nPlans for the weekend\n\n## Aico \([^)]+\)\n\nHiking sounds good\.\n/);
    const json = await h.gateway.request(ConversationTopics.threadExport, { userId: 'fay', threadId, format: ExportFormat.JSON });
    expect(json).toMatchObject({ fileName: 'conversation-weekend.json', contentType: 'application/json; charset=utf-8' });
    const parsed = JSON.parse(json.content) as { thread: { title: string }; messages: { role: string; text: string; status: string }[] };
    expect(parsed.thread.title).toBe('Weekend');
    expect(parsed.messages.map((m) => [m.role, m.text, m.status])).toEqual([
      ['MESSAGE_ROLE_USER', 'Plans for the weekend', 'MESSAGE_STATUS_COMPLETE'],
      ['MESSAGE_ROLE_ASSISTANT', 'Hiking sounds good.', 'MESSAGE_STATUS_COMPLETE'],
    ]);

    expect(await h.gateway.request(ConversationTopics.threadDelete, { userId: 'fay', threadId })).toMatchObject({ deletedMessages: 2 });
    await waitForThreadChange(h, (change) => change.deleted && change.thread?.id === threadId, 'the delete told');
    await refused(h.gateway.request(ConversationTopics.threadGet, { userId: 'fay', threadId }), ConversationErrorCode.ThreadNotFound);
    expect(storedMessagesOf(h.storage, threadId)).toEqual([]);
  });

  it('has a default persona until an admin saves one; every field is checked and named when wrong', async () => {
    expect((await h.gateway.request(ConversationTopics.personaGet, {})).persona).toMatchObject({
      name: 'Aico',
      expression: 'happy',
      temperature: expect.closeTo(0.7, 5),
    });
    const valid = { name: 'Mira', systemPrompt: 'You are Mira.', temperature: 0.2, topP: 0.9, topK: 40, maxTokens: 64, expression: 'thinking' };
    for (const [field, value] of [
      ['name', ''],
      ['name', 'x'.repeat(65)],
      ['systemPrompt', 'x'.repeat(4001)],
      ['temperature', 2.5],
      ['topP', 1.5],
      ['topK', 1001],
      ['maxTokens', 4097],
      ['expression', 'angry'],
    ] as const) {
      await expect(h.gateway.request(ConversationTopics.personaUpdate, { persona: { ...valid, [field]: value } })).rejects.toMatchObject({
        code: ConversationErrorCode.InvalidArgument,
        details: { field },
      });
    }
    const saved = await h.gateway.request(ConversationTopics.personaUpdate, { persona: valid, updatedBy: 'admin-1' });
    expect(saved.persona).toMatchObject({ id: 'default', name: 'Mira', updatedBy: 'admin-1', expression: 'thinking', maxTokens: 64 });
    const { generation, sent } = await exchange('ann', 'who are you?', ['I am Mira. Hi']);
    expect(generation.request).toMatchObject({ maxTokens: 64, topK: 40, temperature: expect.closeTo(0.2, 5) });
    expect(generation.request.input.case === 'chat' && generation.request.input.value.messages[0]!.content).toBe('You are Mira.');
    expect(spokenIn(h, sent.thread!.id).map((s) => s.expression)).toEqual(['thinking', 'thinking']);
    await h.gateway.request(ConversationTopics.personaUpdate, {
      persona: { name: 'Aico', systemPrompt: 'You are Aico.', temperature: 0.7, expression: 'happy' },
    });
  });

  it('publishes every event to its own user only (payload and envelope name the user)', () => {
    for (const event of h.seen) expect((event.payload as { userId: string }).userId).toBe(event.user);
    expect(h.of<ConversationMessage>('conversation.message.received').length).toBeGreaterThan(0);
  });
});
