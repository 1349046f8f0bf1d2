// The web client's one app-wide store: the session, the theme and the connection state. Small on purpose (server
// data lives in the query cache): set, read, subscribe. The theme follows the OS preference until the user picks
// one; the pick is remembered. The session keeps the page to return to after a re-login.
import type { ConnectionState } from './ws-connection';

export type ThemeChoice = 'system' | 'light' | 'dark';

export interface Session {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly user: { readonly id: string; readonly username: string; readonly role: string; readonly displayName: string };
}

export interface AppState {
  readonly session: Session | undefined;
  /** Where to go back to after logging in again (the page the session expired on). */
  readonly returnTo: string | undefined;
  readonly theme: ThemeChoice;
  /** What the page shows: the choice, or the OS preference for 'system'. */
  readonly effectiveTheme: 'light' | 'dark';
  readonly connection: ConnectionState;
  readonly connectionDetail: string | undefined;
  /**
   * Memory consent was withdrawn in this session and the companion deleted what it remembered (the number of facts
   * deleted), so the memory and privacy pages can say so.
   */
  readonly memoryWithdrawn: { readonly deletedFacts: number } | undefined;
}

/** Where choices persist (localStorage in the browser). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const THEME_KEY = 'aico.theme';
/** Where the session is kept; other tabs of this browser watch it (storage events). */
export const SESSION_KEY = 'aico.session';

export class AppStore {
  private state: AppState;
  private readonly listeners = new Set<(state: AppState) => void>();

  constructor(
    private readonly storage: KeyValueStorage,
    private osPrefersDark: boolean,
  ) {
    const stored = storage.getItem(THEME_KEY);
    const theme: ThemeChoice = stored === 'light' || stored === 'dark' ? stored : 'system';
    this.state = {
      session: readSession(storage),
      returnTo: undefined,
      theme,
      effectiveTheme: effective(theme, osPrefersDark),
      connection: 'closed',
      connectionDetail: undefined,
      memoryWithdrawn: undefined,
    };
  }

  get current(): AppState {
    return this.state;
  }

  subscribe(listener: (state: AppState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The session as stored now, which another tab may have changed (refreshed tokens, logged in or out). */
  storedSession(): Session | undefined {
    return readSession(this.storage);
  }

  signedIn(session: Session): void {
    this.storage.setItem(SESSION_KEY, JSON.stringify(session));
    this.update({ session });
  }

  /** The session ended (logout, expiry, revocation): forget it, remembering where the user was. */
  signedOut(returnTo?: string): void {
    this.storage.removeItem(SESSION_KEY);
    this.update({ session: undefined, returnTo, memoryWithdrawn: undefined });
  }

  chooseTheme(theme: ThemeChoice): void {
    if (theme === 'system') this.storage.removeItem(THEME_KEY);
    else this.storage.setItem(THEME_KEY, theme);
    this.update({ theme, effectiveTheme: effective(theme, this.osPrefersDark) });
  }

  /** The OS switched between light and dark (matters only while the choice is 'system'). */
  osThemeChanged(prefersDark: boolean): void {
    this.osPrefersDark = prefersDark;
    this.update({ effectiveTheme: effective(this.state.theme, prefersDark) });
  }

  /** `conversation.memory.changed` with reason consent_withdrawn: the memory was deleted. */
  memoryWithdrawn(deletedFacts: number): void {
    this.update({ memoryWithdrawn: { deletedFacts } });
  }

  /** Memory consent was given again: the notice of the deletion is old news. */
  memoryNoticeSeen(): void {
    this.update({ memoryWithdrawn: undefined });
  }

  connectionChanged(connection: ConnectionState, detail?: string): void {
    this.update({ connection, connectionDetail: detail });
  }

  private update(change: Partial<AppState>): void {
    const next = { ...this.state, ...change };
    if (Object.entries(change).every(([key, value]) => this.state[key as keyof AppState] === value)) return;
    this.state = next;
    for (const listener of this.listeners) listener(next);
  }
}

function effective(theme: ThemeChoice, osPrefersDark: boolean): 'light' | 'dark' {
  return theme === 'system' ? (osPrefersDark ? 'dark' : 'light') : theme;
}

function readSession(storage: KeyValueStorage): Session | undefined {
  try {
    const parsed = JSON.parse(storage.getItem(SESSION_KEY) ?? 'null') as Session | null;
    return parsed && typeof parsed.accessToken === 'string' && typeof parsed.refreshToken === 'string' && parsed.user ? parsed : undefined;
  } catch {
    return undefined;
  }
}
