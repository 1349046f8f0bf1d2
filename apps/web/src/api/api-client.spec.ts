import { AppStore, type KeyValueStorage, type Session } from '../core/app-store';
import { Api, ApiError, secondsUntilExpiry } from './api-client';

function memoryStorage(): KeyValueStorage {
  const values = new Map<string, string>();
  return { getItem: (key) => values.get(key) ?? null, setItem: (key, value) => void values.set(key, value), removeItem: (key) => void values.delete(key) };
}

const user = { id: 'ada', username: 'ada', role: 'user', displayName: 'Ada' };
const session = (n: number): Session => ({ accessToken: `access-${n}`, refreshToken: `refresh-${n}`, user });
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

/** A scripted gateway: answers by method and path, and records what it was asked. */
function gateway(routes: Record<string, (request: Request) => Response | Promise<Response>>) {
  const seen: { method: string; path: string; authorization: string | null; body?: string }[] = [];
  const fetch = async (request: Request) => {
    const path = new URL(request.url).pathname;
    seen.push({
      method: request.method,
      path,
      authorization: request.headers.get('Authorization'),
      ...(request.method !== 'GET' ? { body: await request.clone().text() } : {}),
    });
    const route = routes[`${request.method} ${path}`];
    if (!route) throw new TypeError('Failed to fetch');
    return route(request);
  };
  return { seen, fetch };
}

function setup(routes: Record<string, (request: Request) => Response | Promise<Response>>, signedIn = true) {
  const store = new AppStore(memoryStorage(), false);
  if (signedIn) store.signedIn(session(1));
  const server = gateway(routes);
  const api = new Api(store, { baseUrl: 'https://127.0.0.1:8443', fetch: server.fetch, currentPage: () => '/privacy?tab=history' });
  return { store, api, server };
}

describe('Api (the typed gateway client)', () => {
  it('logs in and keeps the session in the store', async () => {
    const { store, api, server } = setup(
      { 'POST /api/v1/auth/login': () => json(200, { accessToken: 'a', refreshToken: 'r', tokenType: 'Bearer', expiresIn: 900, user }) },
      false,
    );
    await api.login('ada', 'correct horse battery staple');
    expect(store.current.session).toEqual({ accessToken: 'a', refreshToken: 'r', user });
    expect(JSON.parse(server.seen[0]!.body!)).toEqual({ username: 'ada', password: 'correct horse battery staple', client: 'web' });
    expect(server.seen[0]!.authorization).toBeNull();
  });

  it('sends the access token with every call', async () => {
    const { api, server } = setup({ 'GET /api/v1/consent': () => json(200, { purposes: [] }) });
    await expect(api.call(api.client.GET('/api/v1/consent'))).resolves.toEqual({ purposes: [] });
    expect(server.seen[0]!.authorization).toBe('Bearer access-1');
  });

  it('refreshes an expired access token once and repeats the request with the new one', async () => {
    let consentCalls = 0;
    const { store, api, server } = setup({
      'GET /api/v1/consent': (request) =>
        ++consentCalls === 1 || request.headers.get('Authorization') !== 'Bearer access-2'
          ? json(401, { error: { code: 'TOKEN_EXPIRED', message: 'expired' } })
          : json(200, { purposes: [] }),
      'POST /api/v1/auth/refresh': () => json(200, { ...session(2), tokenType: 'Bearer', expiresIn: 900 }),
    });
    await expect(api.call(api.client.GET('/api/v1/consent'))).resolves.toEqual({ purposes: [] });
    expect(server.seen.map((s) => `${s.method} ${s.path} ${s.authorization ?? ''}`)).toEqual([
      'GET /api/v1/consent Bearer access-1',
      'POST /api/v1/auth/refresh ',
      'GET /api/v1/consent Bearer access-2',
    ]);
    expect(JSON.parse(server.seen[1]!.body!)).toEqual({ refreshToken: 'refresh-1' });
    expect(store.current.session?.accessToken).toBe('access-2');
  });

  it('shares one refresh between calls that find the token expired together', async () => {
    let refreshes = 0;
    // The refresh stays in flight until all three calls have met their 401 and asked for a refresh: a signal, so the
    // test does not depend on how soon the others get there.
    let asked = 0;
    let everyoneAsked!: () => void;
    const allAsked = new Promise<void>((resolve) => (everyoneAsked = resolve));
    const { api } = setup({
      'GET /api/v1/consent': (request) =>
        request.headers.get('Authorization') === 'Bearer access-2'
          ? json(200, { purposes: [] })
          : json(401, { error: { code: 'TOKEN_EXPIRED', message: 'expired' } }),
      'POST /api/v1/auth/refresh': async () => {
        refreshes++;
        await allAsked;
        return json(200, { ...session(2), tokenType: 'Bearer', expiresIn: 900 });
      },
    });
    const refresh = api.refresh.bind(api);
    jest.spyOn(api, 'refresh').mockImplementation(() => {
      if (++asked === 3) everyoneAsked();
      return refresh();
    });
    await Promise.all([api.call(api.client.GET('/api/v1/consent')), api.call(api.client.GET('/api/v1/consent')), api.call(api.client.GET('/api/v1/consent'))]);
    expect(asked).toBe(3);
    expect(refreshes).toBe(1);
  });

  it('ends the session, keeping the page, when the refresh is refused', async () => {
    const { store, api } = setup({
      'GET /api/v1/consent': () => json(401, { error: { code: 'TOKEN_EXPIRED', message: 'expired' } }),
      'POST /api/v1/auth/refresh': () => json(401, { error: { code: 'REFRESH_INVALID', message: 'spent' } }),
    });
    const failure = await api.call(api.client.GET('/api/v1/consent')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).info.kind).toBe('session-expired');
    expect(store.current.session).toBeUndefined();
    expect(store.current.returnTo).toBe('/privacy?tab=history');
  });

  it('adopts the tokens another tab refreshed instead of spending the old refresh token', async () => {
    const store = new AppStore(memoryStorage(), false);
    store.signedIn(session(1));
    const server = gateway({
      'GET /api/v1/consent': (request) =>
        request.headers.get('Authorization') === 'Bearer access-7'
          ? json(200, { purposes: [] })
          : json(401, { error: { code: 'TOKEN_EXPIRED', message: 'x' } }),
    });
    const api = new Api(store, { baseUrl: 'https://127.0.0.1:8443', fetch: server.fetch, currentPage: () => '/', storedSession: () => session(7) });
    await expect(api.call(api.client.GET('/api/v1/consent'))).resolves.toEqual({ purposes: [] });
    expect(server.seen.map((s) => s.path)).not.toContain('/api/v1/auth/refresh');
    expect(store.current.session?.accessToken).toBe('access-7');
  });

  it('does not try to refresh a failed login: wrong credentials are an error, not an expired session', async () => {
    const { api, server, store } = setup({ 'POST /api/v1/auth/login': () => json(401, { error: { code: 'INVALID_CREDENTIALS', message: 'no' } }) }, false);
    await expect(api.login('ada', 'wrong')).rejects.toBeInstanceOf(ApiError);
    expect(server.seen).toHaveLength(1);
    expect(store.current.session).toBeUndefined();
  });

  it('turns an unreachable gateway into the offline error', async () => {
    const { api } = setup({});
    const failure = (await api.call(api.client.GET('/api/v1/consent')).catch((error: unknown) => error)) as ApiError;
    expect(failure.info).toMatchObject({ kind: 'offline', retryable: true });
  });

  it('maps the gateway error shape (forbidden, rate limited with Retry-After, server error with its request id)', async () => {
    const { api } = setup({
      'GET /api/v1/users': () => json(403, { error: { code: 'FORBIDDEN', message: 'no' } }),
      'GET /api/v1/consent': () => json(429, { error: { code: 'RATE_LIMITED', message: 'slow down' } }, { 'Retry-After': '7' }),
      'GET /api/v1/consent/history': () => json(500, { error: { code: 'INTERNAL', message: 'boom', requestId: 'req-9' } }),
    });
    const kindOf = async (pending: Promise<unknown>) => ((await pending.catch((error: unknown) => error)) as ApiError).info;
    expect(await kindOf(api.call(api.client.GET('/api/v1/users')))).toMatchObject({ kind: 'forbidden', code: 'FORBIDDEN' });
    expect(await kindOf(api.call(api.client.GET('/api/v1/consent')))).toMatchObject({ kind: 'rate-limited', retryAfterSeconds: 7 });
    expect(await kindOf(api.call(api.client.GET('/api/v1/consent/history')))).toMatchObject({ kind: 'server', requestId: 'req-9', retryable: true });
  });

  it('reads the seconds left on an access token from its exp claim', () => {
    const token = (claims: object) => `x.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.y`;
    expect(secondsUntilExpiry(token({ exp: 1_000 }), 940_000)).toBe(60);
    expect(secondsUntilExpiry(token({ sub: 'ada' }))).toBeUndefined();
    expect(secondsUntilExpiry('not a token')).toBeUndefined();
  });
});
