import { BusErrorCode } from '../bus.error';
import { SendQueue, type Frames } from './send-queue';

/** A fake socket send that records overlap: zeromq allows one pending send per socket. */
function fakeSocket() {
  const sent: string[] = [];
  let pending = 0;
  let maxPending = 0;
  const send = async (frames: Frames): Promise<void> => {
    pending++;
    maxPending = Math.max(maxPending, pending);
    await new Promise((resolve) => setImmediate(resolve));
    sent.push(Buffer.from(frames[0]!).toString());
    pending--;
  };
  return { send, sent, maxPending: () => maxPending };
}

const frame = (text: string): Frames => [Buffer.from(text)];

describe('SendQueue', () => {
  it('sends in order with at most one send pending', async () => {
    const socket = fakeSocket();
    const queue = new SendQueue(socket.send, 100);
    await Promise.all(['a', 'b', 'c', 'd'].map((t) => queue.enqueue(frame(t))));
    expect(socket.sent).toEqual(['a', 'b', 'c', 'd']);
    expect(socket.maxPending()).toBe(1);
  });

  it('holds normal sends while priority sends still go out, then releases them in order', async () => {
    const socket = fakeSocket();
    const queue = new SendQueue(socket.send, 100);
    queue.hold();
    const held = [queue.enqueue(frame('n1')), queue.enqueue(frame('n2'))];
    await queue.enqueue(frame('probe'), true);
    expect(socket.sent).toEqual(['probe']);
    expect(queue.length).toBe(2);
    queue.release();
    await Promise.all(held);
    expect(socket.sent).toEqual(['probe', 'n1', 'n2']);
  });

  it('refuses sends beyond its bound with SEND_QUEUE_FULL', async () => {
    const socket = fakeSocket();
    const queue = new SendQueue(socket.send, 2);
    queue.hold();
    void queue.enqueue(frame('1'));
    void queue.enqueue(frame('2'));
    await expect(queue.enqueue(frame('3'))).rejects.toMatchObject({ code: BusErrorCode.QueueFull });
  });

  it('drains, and on close rejects what is left and everything after', async () => {
    const socket = fakeSocket();
    const queue = new SendQueue(socket.send, 10);
    void queue.enqueue(frame('x'));
    await queue.drain();
    expect(socket.sent).toEqual(['x']);
    queue.hold();
    const stranded = queue.enqueue(frame('y'));
    queue.close(Object.assign(new Error('closed'), { code: 'CLOSED' }) as never);
    await expect(stranded).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(queue.enqueue(frame('z'))).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
