import { AppStore, SESSION_KEY, type AppState, type KeyValueStorage } from './app-store';

class MemoryStorage implements KeyValueStorage {
  readonly values = new Map<string, string>();
  getItem(key: string) {
    return this.values.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.values.set(key, value);
  }
  removeItem(key: string) {
    this.values.delete(key);
  }
}

const session = { accessToken: 'a', refreshToken: 'r', user: { id: 'ada', username: 'ada', role: 'admin', displayName: 'Ada' } };

describe('AppStore', () => {
  it('follows the OS theme until the user picks one, and remembers the pick across reloads', () => {
    const storage = new MemoryStorage();
    const store = new AppStore(storage, true);
    expect(store.current).toMatchObject({ theme: 'system', effectiveTheme: 'dark' });
    store.osThemeChanged(false);
    expect(store.current.effectiveTheme).toBe('light');
    store.chooseTheme('dark');
    store.osThemeChanged(false);
    expect(store.current.effectiveTheme).toBe('dark');
    expect(new AppStore(storage, false).current).toMatchObject({ theme: 'dark', effectiveTheme: 'dark' }); // a reload
    store.chooseTheme('system');
    expect(new AppStore(storage, false).current).toMatchObject({ theme: 'system', effectiveTheme: 'light' });
  });

  it('keeps the session across reloads, and on sign-out forgets it but remembers the page to return to', () => {
    const storage = new MemoryStorage();
    const store = new AppStore(storage, false);
    store.signedIn(session);
    expect(new AppStore(storage, false).current.session).toEqual(session);
    store.signedOut('/privacy');
    expect(store.current).toMatchObject({ session: undefined, returnTo: '/privacy' });
    expect(new AppStore(storage, false).current.session).toBeUndefined();
    storage.setItem('aico.session', '{broken');
    expect(new AppStore(storage, false).current.session).toBeUndefined();
  });

  it('reads the session another tab stored, and refuses a damaged one', () => {
    const storage = new MemoryStorage();
    const store = new AppStore(storage, false);
    expect(store.storedSession()).toBeUndefined();
    storage.setItem(SESSION_KEY, JSON.stringify({ ...session, accessToken: 'b' }));
    expect(store.storedSession()).toEqual({ ...session, accessToken: 'b' });
    expect(store.current.session).toBeUndefined();
    storage.setItem(SESSION_KEY, '{"accessToken": 1');
    expect(store.storedSession()).toBeUndefined();
    storage.setItem(SESSION_KEY, JSON.stringify({ accessToken: 'a' }));
    expect(store.storedSession()).toBeUndefined();
  });

  it('tells listeners about changes only, and stops when they unsubscribe', () => {
    const store = new AppStore(new MemoryStorage(), false);
    const seen: AppState[] = [];
    const unsubscribe = store.subscribe((state) => seen.push(state));
    store.connectionChanged('connecting');
    store.connectionChanged('connecting');
    store.connectionChanged('reconnecting', 'trying again in 1 s');
    unsubscribe();
    store.connectionChanged('open');
    expect(seen.map((state) => [state.connection, state.connectionDetail])).toEqual([
      ['connecting', undefined],
      ['reconnecting', 'trying again in 1 s'],
    ]);
  });
});
