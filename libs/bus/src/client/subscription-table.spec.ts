// The subscription table shares one socket subscription among the handlers of a prefix, keeps the reply topic
// through a stop of intake, and matches exact topics and prefixes.
import { SubscriptionTable, type SubscriberSocket } from './subscription-table';

function recordingSocket(): SubscriberSocket & { calls: string[] } {
  const calls: string[] = [];
  return { calls, subscribe: (prefix) => void calls.push(`+${prefix}`), unsubscribe: (prefix) => void calls.push(`-${prefix}`) };
}

describe('SubscriptionTable', () => {
  it('subscribes the socket once per prefix and unsubscribes when the last handler leaves', () => {
    const socket = recordingSocket();
    const table = new SubscriptionTable(socket, 'reply.me', () => false);
    const first = table.add({ prefix: 'a.b.c', exact: true, handler: () => undefined });
    const second = table.add({ prefix: 'a.b.c', exact: true, handler: () => undefined });
    first();
    first();
    expect(socket.calls).toEqual(['+a.b.c']);
    second();
    expect(socket.calls).toEqual(['+a.b.c', '-a.b.c']);
  });

  it('matches exact topics and prefixes in the order they subscribed', () => {
    const table = new SubscriptionTable(recordingSocket(), 'reply.me', () => false);
    const exact = { prefix: 'system.health.heartbeat', exact: true, handler: () => undefined };
    const prefix = { prefix: 'system.', exact: false, handler: () => undefined };
    table.add(exact);
    table.add(prefix);
    expect([...table.matching('system.health.heartbeat')]).toEqual([exact, prefix]);
    expect([...table.matching('system.health.heartbeats')]).toEqual([prefix]);
    expect([...table.matching('storage.state.get')]).toEqual([]);
  });

  it('keeps only the reply topic once intake stops, and subscribes nothing new after', () => {
    const socket = recordingSocket();
    const table = new SubscriptionTable(socket, 'reply.me', () => false);
    table.add({ prefix: 'a.b.c', exact: true, handler: () => undefined });
    table.retain('reply.me');
    table.closeIntake();
    table.add({ prefix: 'x.y.z', exact: true, handler: () => undefined });
    expect(socket.calls).toEqual(['+a.b.c', '+reply.me', '-a.b.c']);
  });

  it('leaves a closing socket alone', () => {
    const socket = recordingSocket();
    let closed = false;
    const table = new SubscriptionTable(socket, 'reply.me', () => closed);
    const remove = table.add({ prefix: 'a.b.c', exact: true, handler: () => undefined });
    closed = true;
    remove();
    expect(socket.calls).toEqual(['+a.b.c']);
  });
});
