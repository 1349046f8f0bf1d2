// The correlation id of the envelope being handled travels with the async work it causes, so every log line and
// every envelope published from inside a handler carries it without being passed by hand.
import { AsyncLocalStorage } from 'node:async_hooks';

interface CorrelationScope {
  readonly correlationId: string;
}

const storage = new AsyncLocalStorage<CorrelationScope>();

export function runWithCorrelation<T>(correlationId: string, fn: () => T): T {
  return correlationId ? storage.run({ correlationId }, fn) : fn();
}

export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}
