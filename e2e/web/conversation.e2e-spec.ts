// The companion in a real browser (Debian's Chromium through playwright-core) against the whole system started like a
// user does, with a generated model and nobody's account yet: the first admin is created in the browser (and never
// again), the Models page imports, pulls (with its progress bar), uses and removes models, the persona is set in the
// settings, a typed message's reply grows on screen while the avatar beside it already says the first sentence (read
// back through the avatar's own `inspect`), Stop stops the reply and the avatar, a short reply completes and is
// regenerated, the thread is listed, renamed, exported and deleted, and the memory page follows consent.
//
// The model's vocabulary is "abcdefgh. ": its greedy answer to any chat is "abcdefgh. abcdefgh. …", so every sentence
// is "abcdefgh." and the text of a reply is known in advance.
/// <reference lib="dom" />
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { StorageClient } from '@aico/storage-client';
import { recordStreamingReply, streamingReplyRecorded, waitForSilentAvatar } from '../support/avatar-in-page';
import { launchChromium, newAppContext } from '../support/browser';
import { ModelFileServer } from '../support/model-file-server';
import { RunningSystem } from '../support/system';
import { connectAs } from '../support/system-bus';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';
import { gatewayFetch, openScreen } from '../support/web-app';
import { NORMAL_MONITOR_ENV, testModels } from '../models/models-stack';

const ADMIN = { username: 'grace', password: 'First-admin-2026!', displayName: 'Grace Hopper' } as const;
/** The system's own master password (aico setup), not an account's. */
const MASTER_PASSWORD = 'Conversation-web-2026!';
const VOCABULARY = 'abcdefgh. ';
const SENTENCE = 'abcdefgh.';
/** A context no reply here fills before the test stops it (a token of the test model takes a fraction of a millisecond). */
const LONG_CONTEXT = 65_536;
/** The conversation service's default reply length (a persona without max tokens): longer than any test waits for. */
const LONG_REPLY_TOKENS = LONG_CONTEXT - 4_096;
const SHORT_REPLY_TOKENS = 40;

jest.setTimeout(900_000);

/** The reply's greedy text for `tokens` tokens: the vocabulary chain from "a" (the chat template ends in a newline). */
const expectedReply = (tokens: number) => VOCABULARY.repeat(Math.ceil(tokens / VOCABULARY.length)).slice(0, tokens);

describe('the conversation in a browser', () => {
  let system: RunningSystem | undefined;
  let browser: Browser | undefined;
  let files: ModelFileServer | undefined;
  const contexts: BrowserContext[] = [];
  let signedIn: Page | undefined;
  let chatModelPath: string;
  let pullUrl: string;

  const newContext = async () => {
    const context = await newAppContext(browser!, system!.baseUrl);
    context.setDefaultTimeout(SIGNAL_TIMEOUT_MS);
    contexts.push(context);
    return context;
  };

  /** The admin's tab (signed in by the first-run test). */
  const app = (): Page => {
    if (!signedIn) throw new Error('the first-run test did not sign the admin in');
    return signedIn;
  };

  const log = (page: Page) => page.getByRole('log', { name: 'Conversation' });
  const lastReply = (page: Page) => log(page).locator('[data-testid="message"][data-role="assistant"]').last();

  /** Sets the persona's longest reply (empty: the service's default) and greedy sampling through the settings page. */
  const setReplyLength = async (page: Page, maxTokens: number | '') => {
    await openScreen(page, 'Settings', 'Settings');
    const form = page.getByRole('form', { name: 'Persona' });
    await page.waitForFunction(() => (document.querySelector<HTMLInputElement>('[name="persona-name"]')?.value ?? '') !== '');
    await form.getByLabel('Temperature').fill('0');
    await form.getByLabel('Max tokens').fill(String(maxTokens));
    await form.getByRole('button', { name: 'Save persona' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  };

  beforeAll(async () => {
    system = await RunningSystem.start({
      password: MASTER_PASSWORD,
      users: [],
      // The monitor would hold the model's work while the shared cores are busy (what this test does not check); one
      // model thread, as every models test here.
      env: {
        ...NORMAL_MONITOR_ENV,
        AICO_MODELS__GPU: 'cpu',
        AICO_MODELS__THREADS: '1',
        AICO_MODELS__MAX_CONTEXT_SIZE: String(LONG_CONTEXT),
        AICO_CONVERSATION__DEFAULT_MAX_TOKENS: String(LONG_REPLY_TOKENS),
      },
    });
    chatModelPath = join(system.dir, 'companion.gguf');
    await testModels('makeTestModel', chatModelPath, { context: LONG_CONTEXT, vocabulary: VOCABULARY, name: 'aico companion test model' });
    const pulledPath = join(system.dir, 'pulled.gguf');
    await testModels('makeTestModel', pulledPath, { vocabulary: VOCABULARY, seed: 2 });
    files = await ModelFileServer.start();
    pullUrl = files.serve('/models/pulled.gguf', await readFile(pulledPath));
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await files?.stop();
    await system?.stop();
  });

  it('(first run) offers to create the first admin while nobody has an account, signs them in, and never again', async () => {
    const page = await (await newContext()).newPage();
    await page.goto('/');
    await page.waitForURL('**/login');
    await page.getByRole('heading', { name: 'Create the first admin account' }).waitFor();

    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Display name (optional)').fill(ADMIN.displayName);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByLabel('Password again').fill(`${ADMIN.password}x`);
    await page.getByRole('button', { name: 'Create the admin account' }).click();
    await page.getByRole('alert').filter({ hasText: 'The two passwords are not the same.' }).waitFor();

    await page.getByLabel('Password again').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create the admin account' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.getByRole('heading', { name: 'Conversation', level: 1 }).waitFor();
    expect(await page.locator('.top-bar .user').textContent()).toBe(ADMIN.displayName);
    signedIn = page;

    // Once a user exists: the gateway says so, and a new visitor gets the login form only.
    const visitor = await (await newContext()).newPage();
    const answer = await visitor.request.get('/api/v1/auth/setup');
    expect(await answer.json()).toMatchObject({ needed: false });
    await visitor.goto('/login');
    await visitor.getByRole('heading', { name: 'Log in to aico' }).waitFor();
    expect(await visitor.getByRole('heading', { name: 'Create the first admin account' }).count()).toBe(0);
    const again = await visitor.request.post('/api/v1/auth/setup', { data: { username: 'mallory', password: 'Another-admin-2026!' } });
    expect(again.status()).toBe(409);
    await visitor.context().close();
  });

  it('(models) says clearly that no model is installed, then imports, uses, pulls with progress and removes models', async () => {
    const page = app();
    await openScreen(page, 'Conversation', 'Conversation');
    const notice = page.getByTestId('no-model');
    await notice.waitFor();
    await notice.getByRole('link', { name: 'Models page' }).click();
    await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
    const table = page.getByRole('table', { name: 'Installed models' });
    await table.getByText('No model is installed yet').waitFor();

    await page.getByLabel('Path of a GGUF file on this machine').fill(chatModelPath);
    await page.locator('[name="import-name"]').fill('companion');
    await page.getByRole('button', { name: 'Import' }).click();
    const row = table.locator('[data-testid="model"][data-model="companion"]');
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    expect(cells[0]).toMatch(/\d(\.\d)? (KB|MB)/); // size
    expect(cells[1]).toMatch(/\S/); // quantization
    expect(cells[2]).toBe(`${LONG_CONTEXT} tokens`);
    expect(cells[3]).toMatch(/^(yes|no)/); // whether it fits this machine now
    if ((await row.getAttribute('data-chat')) !== 'true') await row.getByRole('button', { name: 'Use for chat' }).click();
    await table.locator('[data-testid="model"][data-model="companion"][data-chat="true"]').waitFor();

    await page.getByLabel('Source (an https URL or hf:owner/repo/file.gguf)').fill(pullUrl);
    await page.locator('[name="pull-name"]').fill('pulled');
    await page.getByRole('button', { name: 'Pull' }).click();
    const pull = page.getByTestId('pull');
    await pull.and(page.locator('[data-phase="done"]')).waitFor();
    expect(await pull.locator('progress').evaluate((bar: HTMLProgressElement) => bar.value)).toBe(1);
    const pulled = table.locator('[data-testid="model"][data-model="pulled"]');
    await pulled.waitFor();
    expect(await pulled.getAttribute('data-chat')).toBe('false');

    await pulled.getByRole('button', { name: 'Remove', exact: true }).click();
    await pulled.getByRole('button', { name: 'Remove for good' }).click();
    await pulled.waitFor({ state: 'detached' });
    expect(await table.locator('[data-testid="model"]').count()).toBe(1);
  });

  it('(persona) refuses an invalid field in the persona settings, and saves a valid persona', async () => {
    const page = app();
    await openScreen(page, 'Settings', 'Settings');
    const form = page.getByRole('form', { name: 'Persona' });
    await page.waitForFunction(() => (document.querySelector<HTMLInputElement>('[name="persona-name"]')?.value ?? '') !== '');
    await form.getByLabel('Temperature').fill('5');
    await form.getByRole('button', { name: 'Save persona' }).click();
    await form.locator('[role="alert"][data-field="temperature"]').waitFor();
    await form.getByLabel('Expression').selectOption('happy');
    // Beyond what the conversation service allows a persona: refused in the form, before anything is sent.
    await form.getByLabel('Max tokens').fill('5000');
    await form.getByRole('button', { name: 'Save persona' }).click();
    await form.locator('[role="alert"][data-field="maxTokens"]').waitFor();
    await setReplyLength(page, '');
    const stored = JSON.parse((await gatewayFetch(page, 'GET', '/api/v1/persona')).body) as {
      persona: { maxTokens?: number; expression?: string; temperature?: number };
    };
    expect(stored.persona).toMatchObject({ expression: 'happy' });
    expect(stored.persona.maxTokens ?? 0).toBe(0);
    expect(stored.persona.temperature ?? 0).toBe(0);
  });

  it('(reply) a typed message: the reply grows on screen, the avatar says the first sentence before it completes, and Stop stops both', async () => {
    const page = app();
    await openScreen(page, 'Conversation', 'Conversation');
    await page.locator('[data-testid="connection-state"][data-state="open"]').waitFor();
    await page.getByRole('button', { name: 'Show the avatar beside' }).click();
    await page.getByRole('complementary', { name: 'Avatar' }).getByTestId('avatar-status').and(page.locator('[data-state="ready"]')).waitFor();

    // Recorders installed before sending: the streaming reply's length at every frame, the avatar's first speech.
    await recordStreamingReply(page);

    const text = 'Tell me a long story, please.';
    await page.getByRole('textbox', { name: 'Message' }).fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
    await log(page).locator('[data-testid="message"][data-role="user"][data-status="sent"]').filter({ hasText: text }).waitFor();
    expect(await log(page).locator('[data-testid="message"][data-role="user"]').filter({ hasText: text }).count()).toBe(1);

    const recorded = await streamingReplyRecorded(page);
    expect(recorded.frames.length).toBeGreaterThanOrEqual(2);
    expect(recorded.frames).toEqual([...recorded.frames].sort((a, b) => a - b)); // it only grows
    // The avatar's own state names the first sentence (said now, or just said: a sentence is short), while the
    // reply on screen is still being written.
    expect(recorded.inspected).toMatchObject({ speechText: SENTENCE, replyStatus: 'streaming' });
    // What streamed so far is the reply's beginning, in order.
    const partial = (await lastReply(page).getByTestId('message-text').textContent()) ?? '';
    expect(expectedReply(partial.length)).toBe(partial);

    await page.getByRole('button', { name: 'Stop' }).click();
    await lastReply(page).and(page.locator('[data-status="stopped"]')).waitFor();
    const kept = (await lastReply(page).getByTestId('message-text').textContent()) ?? '';
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(LONG_REPLY_TOKENS);
    expect(expectedReply(kept.length)).toBe(kept);
    expect(await lastReply(page).getByTestId('message-hint').textContent()).toBe('stopped');
    await page.getByRole('button', { name: 'Send' }).waitFor();

    // The avatar stopped too: its own state says it is silent (asked until it answers so, under the deadline).
    await waitForSilentAvatar(page);
    // The stored reply is the partial text, marked stopped.
    const threadId = new URL(page.url()).searchParams.get('thread')!;
    const messages = JSON.parse((await gatewayFetch(page, 'GET', `/api/v1/conversation/threads/${threadId}/messages?limit=50`)).body) as {
      messages: { role: string; status: string; text?: string }[];
    };
    expect(messages.messages.at(-1)).toMatchObject({ role: 'MESSAGE_ROLE_ASSISTANT', status: 'MESSAGE_STATUS_STOPPED', text: kept });
  });

  it('(complete) a short reply completes with its stored text, and Regenerate writes it again', async () => {
    const page = app();
    await setReplyLength(page, SHORT_REPLY_TOKENS);
    await openScreen(page, 'Conversation', 'Conversation');
    await page.getByRole('navigation', { name: 'Threads' }).getByTestId('thread').first().getByRole('button').click();
    await log(page).locator('[data-testid="message"]').first().waitFor();
    await page.getByRole('textbox', { name: 'Message' }).fill('And a short one?');
    await page.getByRole('button', { name: 'Send' }).click();
    const reply = log(page).locator('[data-testid="message"][data-role="assistant"][data-status="complete"]').last();
    await reply.waitFor();
    expect(await reply.getByTestId('message-text').textContent()).toBe(expectedReply(SHORT_REPLY_TOKENS));
    const firstId = await reply.getAttribute('data-message-id');

    await reply.getByRole('button', { name: 'Regenerate' }).click();
    const again = log(page).locator('[data-testid="message"][data-role="assistant"][data-status="complete"]').last();
    await page.waitForFunction((before) => {
      const replies = [...document.querySelectorAll('[data-testid="message"][data-role="assistant"][data-status="complete"]')];
      const last = replies.at(-1)?.getAttribute('data-message-id');
      return last !== undefined && last !== null && last !== before;
    }, firstId);
    expect(await again.getByTestId('message-text').textContent()).toBe(expectedReply(SHORT_REPLY_TOKENS));
    // The old reply was replaced, not added to: it leaves the page (count() would not wait for that under load).
    await log(page).locator(`[data-message-id="${firstId}"]`).waitFor({ state: 'detached' });
  });

  it('(threads) lists the thread, renames it, exports it as Markdown and JSON, and deletes it after a confirmation', async () => {
    const page = app();
    await openScreen(page, 'Conversation', 'Conversation');
    const threads = page.getByRole('navigation', { name: 'Threads' });
    const thread = threads.getByTestId('thread').first();
    await thread.waitFor();
    const threadId = (await thread.getAttribute('data-thread-id'))!;
    await thread.getByRole('button').click();

    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Title').fill('The long story');
    await page.getByRole('button', { name: 'Save' }).click();
    await threads.getByTestId('thread').filter({ hasText: 'The long story' }).waitFor();
    expect(await page.getByTestId('thread-title').textContent()).toBe('The long story');

    for (const [button, check] of [
      ['Export Markdown', (content: string) => expect(content).toContain('Tell me a long story, please.')],
      ['Export JSON', (content: string) => expect(JSON.stringify(JSON.parse(content))).toContain('And a short one?')],
    ] as const) {
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: button }).click();
      const file = await download;
      const path = await file.path();
      check(await readFile(path, 'utf8'));
    }

    // A second thread, so the list has one left after the delete.
    await threads.getByRole('button', { name: 'New conversation' }).click();
    await page.getByRole('textbox', { name: 'Message' }).fill('A second conversation');
    await page.getByRole('button', { name: 'Send' }).click();
    await log(page).locator('[data-testid="message"][data-role="assistant"][data-status="complete"]').waitFor();
    await threads.getByTestId('thread').nth(1).waitFor();
    // Newest first: the new thread is at the top.
    expect(await threads.getByTestId('thread').first().textContent()).toContain('A second conversation');

    await threads.locator(`[data-thread-id="${threadId}"]`).getByRole('button').click();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete this conversation?' });
    await confirm.getByRole('button', { name: 'Delete for good' }).click();
    await threads.locator(`[data-thread-id="${threadId}"]`).waitFor({ state: 'detached' });
    expect(await threads.getByTestId('thread').count()).toBe(1);
    expect((await gatewayFetch(page, 'GET', `/api/v1/conversation/threads/${threadId}`)).status).toBe(404);
  });

  it('(memory) the memory page says whether memory is on, links to the privacy page, lists a fact with its thread to edit and delete, and says memory was deleted when consent is withdrawn', async () => {
    const page = app();
    await openScreen(page, 'Memory', 'Memory');
    const consent = page.getByTestId('memory-consent');
    await consent.waitFor();
    expect(await consent.getAttribute('data-enabled')).toBe('false');
    await page.getByRole('list', { name: 'Remembered facts' }).getByText('aico remembers nothing about you.').waitFor();

    await consent.getByRole('link', { name: 'Change this on the privacy page.' }).click();
    await page.getByRole('heading', { name: 'Privacy', level: 1 }).waitFor();
    const memorySwitch = page.getByRole('switch', { name: 'conversation.memory', exact: true });
    await memorySwitch.click();
    await page.waitForFunction(() => document.querySelector<HTMLInputElement>('input[role="switch"][aria-label="conversation.memory"]')?.disabled === false);
    await openScreen(page, 'Memory', 'Memory');
    await page.locator('[data-testid="memory-consent"][data-enabled="true"]').waitFor();

    // A fact as the conversation service keeps one (with its identity, into storage; the background job that learns
    // facts from a conversation runs in e2e/conversation/memory): the page lists it with its source thread, and the
    // user edits it, then deletes it.
    const me = await page.evaluate(() => (JSON.parse(localStorage.getItem('aico.session') ?? '{}') as { user?: { id?: string } }).user?.id ?? '');
    const threads =
      (JSON.parse((await gatewayFetch(page, 'GET', '/api/v1/conversation/threads')).body) as { threads?: { id: string; title: string }[] }).threads ?? [];
    const conversationService = await connectAs('conversation', system!.env);
    try {
      await new StorageClient(conversationService).putRecord({
        kind: {
          case: 'memoryFact',
          value: { id: 'fact-in-browser', ownerId: me, text: 'The user likes green tea.', sourceThreadId: threads[0]?.id ?? 'gone' },
        },
      });
    } finally {
      await conversationService.close({ drainTimeoutMs: 0 });
    }
    await page.reload();
    await page.getByRole('heading', { name: 'Memory', level: 1 }).waitFor();
    const fact = page.getByTestId('fact').filter({ hasText: 'The user likes green tea.' });
    await fact.waitFor();
    expect(await fact.textContent()).toContain(threads[0] ? `“${threads[0].title}”` : 'a deleted conversation');
    await fact.getByRole('button', { name: 'Edit' }).click();
    await page.getByTestId('fact').getByLabel('Fact').fill('The user likes jasmine tea.');
    await page.getByTestId('fact').getByRole('button', { name: 'Save' }).click();
    const edited = page.getByTestId('fact').filter({ hasText: 'The user likes jasmine tea.' }).filter({ hasText: 'edited by you' });
    await edited.waitFor();
    await edited.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('list', { name: 'Remembered facts' }).getByText('aico remembers nothing about you.').waitFor();

    await openScreen(page, 'Privacy', 'Privacy');
    await page.waitForFunction(() => document.querySelector<HTMLInputElement>('input[role="switch"][aria-label="conversation.memory"]')?.checked === true);
    await memorySwitch.click();
    await page.getByTestId('memory-withdrawn').waitFor();
    await openScreen(page, 'Memory', 'Memory');
    await page.locator('[data-testid="memory-consent"][data-enabled="false"]').waitFor();
    expect(await page.getByTestId('memory-withdrawn').textContent()).toContain('was deleted');
  });
});
