// React access to the app's services and store: a context for the services, and a hook that re-renders a component
// when the part of the store it reads changes.
import { createContext, useContext, useEffect, useSyncExternalStore } from 'react';
import type { AppState } from '../core/app-store';
import type { AppServices } from './app-services';

export const AppServicesContext = createContext<AppServices | undefined>(undefined);

export function useServices(): AppServices {
  const services = useContext(AppServicesContext);
  if (!services) throw new Error('useServices() outside <AppServicesContext.Provider>');
  return services;
}

export function useAppState<T>(select: (state: AppState) => T): T {
  const { store } = useServices();
  return useSyncExternalStore(
    (listener) => store.subscribe(listener),
    () => select(store.current),
  );
}

/** Marks the moment the first screen can be used (`aico:interactive`), once per page load, for the first-load figures. */
export function useInteractiveMark(): void {
  useEffect(() => {
    if (performance.getEntriesByName('aico:interactive').length === 0) performance.mark('aico:interactive');
  }, []);
}
