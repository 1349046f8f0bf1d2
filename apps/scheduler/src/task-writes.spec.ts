import { captureLogger } from '@aico/logging';
import { TaskWrites } from './task-writes';

describe('task writes', () => {
  it("run one task's writes in order, each after the one before has settled, and other tasks' beside them", async () => {
    const writes = new TaskWrites(captureLogger().logger);
    const done: string[] = [];
    let finishFirst!: () => void;
    const first = writes.enqueue('a', () => new Promise<void>((resolve) => (finishFirst = resolve)).then(() => void done.push('a1')));
    const second = writes.enqueue('a', async () => void done.push('a2'));
    await writes.enqueue('b', async () => void done.push('b1'));
    expect(done).toEqual(['b1']);
    finishFirst();
    await Promise.all([first, second]);
    expect(done).toEqual(['b1', 'a1', 'a2']);
  });

  it('reject the failed write, log it, and still run the writes queued after it', async () => {
    const { logger, lines } = captureLogger();
    const writes = new TaskWrites(logger);
    const failed = writes.enqueue('a', () => Promise.reject(new Error('storage down')));
    const next = writes.enqueue('a', async () => undefined);
    await expect(failed).rejects.toThrow('storage down');
    await expect(next).resolves.toBeUndefined();
    expect(lines).toEqual([expect.objectContaining({ task: 'a', msg: 'The task state could not be stored' })]);
  });
});
