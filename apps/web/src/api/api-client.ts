// The typed gateway client: openapi-fetch over the types generated from the gateway's OpenAPI document
// (gateway-api.generated.ts), so a request or response that does not match the gateway does not compile. Every call
// carries the session's access token; an expired one is refreshed once (one refresh at a time, shared by the tabs
// of this browser) and the request repeated; a session that cannot be refreshed ends, remembering the page. Every
// failure becomes one ApiError with a ClientError a person can act on.
import createClient from 'openapi-fetch';
import { fromResponse, networkError, type ClientError } from '../core/api-error';
import type { AppStore, Session } from '../core/app-store';
import type { paths } from './gateway-api.generated';

export class ApiError extends Error {
  constructor(readonly info: ClientError) {
    super(info.message);
    this.name = 'ApiError';
  }
}

export type GatewayClient = ReturnType<typeof createClient<paths>>;

export interface ApiOptions {
  /** The gateway's origin; the page's own by default. */
  readonly baseUrl?: string;
  readonly fetch?: (request: Request) => Promise<Response>;
  /** The page to come back to after logging in again. */
  readonly currentPage: () => string;
  /** Runs `task` while no other tab of this browser refreshes (Web Locks), so a refresh token is spent once. */
  readonly exclusive?: <T>(task: () => Promise<T>) => Promise<T>;
  /** The session another tab may have stored meanwhile. */
  readonly storedSession?: () => Session | undefined;
}

const REFRESH_PATH = '/api/v1/auth/refresh';
const UNREFRESHABLE = ['/api/v1/auth/login', '/api/v1/auth/setup', REFRESH_PATH];

export class Api {
  readonly client: GatewayClient;
  private refreshing: Promise<Session | undefined> | undefined;
  private readonly baseFetch: (request: Request) => Promise<Response>;

  constructor(
    private readonly store: AppStore,
    private readonly options: ApiOptions,
  ) {
    this.baseFetch = options.fetch ?? ((request) => globalThis.fetch(request));
    this.client = createClient<paths>({ baseUrl: options.baseUrl ?? '', fetch: (request) => this.send(request) });
  }

  /** The data of a call, or an ApiError. A session found expired sends the user to log in (page kept). */
  async call<T>(pending: Promise<{ data?: T | undefined; error?: unknown; response: Response }>): Promise<T> {
    const { data, error, response } = await pending;
    if (response.ok) return data as T;
    const info = fromResponse(response.status, error, response.headers.get('Retry-After'));
    if (info.kind === 'session-expired' && this.store.current.session) this.store.signedOut(this.options.currentPage());
    throw new ApiError(info);
  }

  /** Signs in with tokens a route answered (login, first-run setup). */
  adoptTokens(tokens: { accessToken: string; refreshToken: string; user: Session['user'] }): Session {
    const session: Session = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, user: tokens.user };
    this.store.signedIn(session);
    return session;
  }

  async login(username: string, password: string): Promise<Session> {
    const tokens = await this.call(this.client.POST('/api/v1/auth/login', { body: { username, password, client: 'web' } }));
    const session: Session = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, user: tokens.user };
    this.store.signedIn(session);
    return session;
  }

  /** New tokens for the session, or undefined when it cannot be refreshed (it ended). One refresh at a time. */
  refresh(): Promise<Session | undefined> {
    this.refreshing ??= this.runExclusive(() => this.refreshOnce()).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private runExclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.options.exclusive ? this.options.exclusive(task) : task();
  }

  private async refreshOnce(): Promise<Session | undefined> {
    const held = this.store.current.session;
    // Another tab may have refreshed while this one waited: its tokens are the live ones.
    const stored = this.options.storedSession?.();
    if (stored && held && stored.refreshToken !== held.refreshToken) {
      this.store.signedIn(stored);
      return stored;
    }
    if (!held) return undefined;
    let response: Response;
    try {
      response = await this.baseFetch(
        new Request(new URL(REFRESH_PATH, this.origin()), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ refreshToken: held.refreshToken }),
        }),
      );
    } catch {
      throw new ApiError(networkError());
    }
    if (!response.ok) return undefined;
    const tokens = (await response.json()) as { accessToken: string; refreshToken: string; user: Session['user'] };
    const session: Session = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, user: tokens.user };
    this.store.signedIn(session);
    return session;
  }

  private origin(): string {
    return this.options.baseUrl || globalThis.location.origin;
  }

  private async send(request: Request): Promise<Response> {
    const retry = request.clone();
    const response = await this.attempt(request, this.store.current.session?.accessToken);
    if (response.status !== 401 || !this.store.current.session || UNREFRESHABLE.some((path) => new URL(request.url).pathname === path)) return response;
    const refreshed = await this.refresh();
    if (!refreshed) {
      this.store.signedOut(this.options.currentPage());
      return response;
    }
    return this.attempt(retry, refreshed.accessToken);
  }

  private async attempt(request: Request, token: string | undefined): Promise<Response> {
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    try {
      return await this.baseFetch(request);
    } catch {
      throw new ApiError(networkError());
    }
  }
}

/** Seconds until an access token expires (from its `exp` claim), or undefined when it cannot be read. */
export function secondsUntilExpiry(accessToken: string, nowMs = Date.now()): number | undefined {
  try {
    const payload = accessToken.split('.')[1] ?? '';
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof json.exp === 'number' ? json.exp - nowMs / 1000 : undefined;
  } catch {
    return undefined;
  }
}
