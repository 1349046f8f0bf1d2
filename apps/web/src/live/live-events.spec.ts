import { LiveEvents, type LiveEvent } from './live-events';

function connection() {
  const calls: string[] = [];
  return { calls, subscribe: (prefix: string) => calls.push(`+${prefix}`), unsubscribe: (prefix: string) => calls.push(`-${prefix}`) };
}

describe('LiveEvents', () => {
  it('asks the gateway once per prefix and releases it with the last listener', () => {
    const ws = connection();
    const live = new LiveEvents(ws);
    const stopA = live.on('conversation.', () => undefined);
    const stopB = live.on('conversation.', () => undefined);
    expect(ws.calls).toEqual(['+conversation.']);
    stopA();
    stopA();
    expect(ws.calls).toEqual(['+conversation.']);
    stopB();
    expect(ws.calls).toEqual(['+conversation.', '-conversation.']);
  });

  it('hands frames the gateway sends unasked to their listeners without subscribing', () => {
    const ws = connection();
    const live = new LiveEvents(ws);
    const seen: string[] = [];
    const stop = live.listen('models.catalog.pull.', (event) => seen.push(event.topic));
    live.dispatch({ topic: 'models.catalog.pull.progress', payload: {} });
    live.dispatch({ topic: 'models.catalog.changed', payload: {} });
    stop();
    live.dispatch({ topic: 'models.catalog.pull.completed', payload: {} });
    expect(seen).toEqual(['models.catalog.pull.progress']);
    expect(ws.calls).toEqual([]);
  });

  it('delivers an event to the listeners of every matching prefix only', () => {
    const live = new LiveEvents(connection());
    const seen: string[] = [];
    live.on('system.', (event) => seen.push(`system:${event.topic}`));
    live.on('system.resources.', (event) => seen.push(`resources:${event.topic}`));
    live.on('privacy.', (event) => seen.push(`privacy:${event.topic}`));
    const event: LiveEvent = { topic: 'system.resources.sample', payload: {} };
    live.dispatch(event);
    live.dispatch({ topic: 'conversation.message.received', payload: {} });
    expect(seen).toEqual(['system:system.resources.sample', 'resources:system.resources.sample']);
  });

  it('lets a listener stop itself while an event is delivered', () => {
    const live = new LiveEvents(connection());
    const seen: number[] = [];
    const stop = live.on('ui.', () => {
      seen.push(1);
      stop();
    });
    live.on('ui.', () => seen.push(2));
    live.dispatch({ topic: 'ui.x', payload: null });
    live.dispatch({ topic: 'ui.x', payload: null });
    expect(seen).toEqual([1, 2, 2]);
  });
});
