import { AppStore, type KeyValueStorage } from '../core/app-store';
import { Api, ApiError } from './api-client';
import { ConversationApi } from './conversation-api';
import { MemoryApi } from './memory-api';
import { ModelsApi } from './models-api';
import { PersonaApi, type PersonaInput } from './persona-api';
import { SetupApi, type SetupInput } from './setup-api';

function memoryStorage(): KeyValueStorage {
  const values = new Map<string, string>();
  return { getItem: (key) => values.get(key) ?? null, setItem: (key, value) => void values.set(key, value), removeItem: (key) => void values.delete(key) };
}

const user = { id: 'u1', username: 'grace', role: 'admin', displayName: 'Grace' };
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

function setup(route: (request: Request) => Response, signedIn = true) {
  const store = new AppStore(memoryStorage(), false);
  if (signedIn) store.signedIn({ accessToken: 'access-1', refreshToken: 'refresh-1', user });
  const seen: { method: string; url: string; authorization: string | null; body: string }[] = [];
  const api = new Api(store, {
    baseUrl: 'https://127.0.0.1:8443',
    currentPage: () => '/',
    fetch: async (request) => {
      seen.push({
        method: request.method,
        url: request.url,
        authorization: request.headers.get('Authorization'),
        body: request.method === 'GET' ? '' : await request.clone().text(),
      });
      return route(request);
    },
  });
  return { store, api, seen };
}

describe('the issue-16 route clients (openapi-fetch over the generated gateway types)', () => {
  it('sends a message with the token and answers the ids; a new thread sends no conversationId', async () => {
    const answer = { threadId: 't1', messageId: 'm1', replyId: 'r1', correlationId: 'c1', thread: { id: 't1' } };
    const { api, seen } = setup(() => json(202, answer));
    await expect(new ConversationApi(api).send('Hello', undefined)).resolves.toEqual(answer);
    await new ConversationApi(api).send('Again', 't1');
    expect(seen.map((call) => [call.method, new URL(call.url).pathname, call.authorization, JSON.parse(call.body)])).toEqual([
      ['POST', '/api/v1/conversation/messages', 'Bearer access-1', { text: 'Hello', client: 'web' }],
      ['POST', '/api/v1/conversation/messages', 'Bearer access-1', { text: 'Again', client: 'web', conversationId: 't1' }],
    ]);
  });

  it('turns the gateway error body into an ApiError with its code (no model installed, reply not running)', async () => {
    const { api } = setup(() => json(503, { error: { code: 'CONVERSATION_NO_MODEL', message: 'No model is installed.' } }));
    const failure = await new ConversationApi(api).send('Hello', undefined).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).info).toMatchObject({ code: 'CONVERSATION_NO_MODEL', kind: 'unavailable' });
  });

  it('reads an export as a file named by Content-Disposition', async () => {
    const { api, seen } = setup(
      () =>
        new Response('# Hello\n', {
          status: 200,
          headers: { 'Content-Type': 'text/markdown; charset=utf-8', 'Content-Disposition': `attachment; filename="hello.md"; filename*=UTF-8''h%C3%A9llo.md` },
        }),
    );
    const file = await new ConversationApi(api).export('t1', 'markdown');
    expect(file.fileName).toBe('héllo.md');
    expect(await file.blob.text()).toBe('# Hello\n');
    expect(new URL(seen[0]!.url).search).toBe('?format=markdown');
  });

  it('first run: asks whether setup is needed without a session, then creates the admin and signs in', async () => {
    const tokens = { accessToken: 'a', refreshToken: 'r', tokenType: 'Bearer', expiresIn: 900, user };
    const { api, store, seen } = setup((request) => (request.method === 'GET' ? json(200, { needed: true }) : json(200, tokens)), false);
    const setupApi = new SetupApi(api);
    await expect(setupApi.needed()).resolves.toBe(true);
    await setupApi.createFirstAdmin({ username: 'grace', password: 'Analytical-1843', displayName: 'Grace' });
    expect(store.current.session).toEqual({ accessToken: 'a', refreshToken: 'r', user });
    expect(seen.map((call) => call.authorization)).toEqual([null, null]);
    expect(JSON.parse(seen[1]!.body)).toEqual({ username: 'grace', password: 'Analytical-1843', displayName: 'Grace' });
  });

  it('first run done meanwhile: the 409 keeps its code (the page then offers the login)', async () => {
    const { api, store } = setup(() => json(409, { error: { code: 'AUTH_SETUP_DONE', message: 'An account exists already.' } }), false);
    const failure = await new SetupApi(api).createFirstAdmin({ username: 'grace', password: 'Analytical-1843' }).catch((error: unknown) => error);
    expect((failure as ApiError).info.code).toBe('AUTH_SETUP_DONE');
    expect(store.current.session).toBeUndefined();
  });

  it('a 204 answers undefined', async () => {
    const { api } = setup(() => new Response(null, { status: 204 }));
    await expect(new MemoryApi(api).remove('f1')).resolves.toBeUndefined();
  });

  it('builds paths and queries from the generated routes (ids encoded, empty options left out)', async () => {
    const { api, seen } = setup((request) => (request.method === 'DELETE' ? new Response(null, { status: 204 }) : json(200, {})));
    await new ConversationApi(api).threads(20);
    await new ConversationApi(api).messages('t 1/2', 50, 'm9');
    await new MemoryApi(api).remove('f/1');
    await new ModelsApi(api).use('qwen');
    await new PersonaApi(api).update({ name: 'Aico', systemPrompt: 'You are Aico.', expression: 'happy' });
    expect(seen.map((call) => [call.method, new URL(call.url).pathname + new URL(call.url).search, call.body])).toEqual([
      ['GET', '/api/v1/conversation/threads?limit=20', ''],
      ['GET', '/api/v1/conversation/threads/t%201%2F2/messages?limit=50&afterId=m9', ''],
      ['DELETE', '/api/v1/memory/facts/f%2F1', ''],
      ['PUT', '/api/v1/models/active', JSON.stringify({ name: 'qwen' })],
      ['PUT', '/api/v1/persona', JSON.stringify({ name: 'Aico', systemPrompt: 'You are Aico.', expression: 'happy' })],
    ]);
  });

  it('takes only what the gateway’s schemas take (checked by the typecheck of this file)', () => {
    // @ts-expect-error: the gateway's persona schema names the expressions it takes; 'angry' is not one of them.
    const persona: PersonaInput = { name: 'Aico', systemPrompt: 'Hi', expression: 'angry' };
    // @ts-expect-error: the first-run schema requires a password.
    const admin: SetupInput = { username: 'grace' };
    expect([persona.expression, admin.username]).toEqual(['angry', 'grace']);
  });
});
