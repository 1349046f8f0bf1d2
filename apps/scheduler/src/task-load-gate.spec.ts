import { SchedulerErrorCode } from './scheduler.error';
import { TaskLoadGate } from './task-load-gate';

describe('task load gate', () => {
  it('let waiting and later requests through once the tasks are loaded', async () => {
    const gate = new TaskLoadGate(1_000);
    const waiting = gate.wait();
    gate.open();
    await expect(waiting).resolves.toBeUndefined();
    await expect(gate.wait()).resolves.toBeUndefined();
  });

  it('refuse a request with NotReady when loading takes longer than the timeout', async () => {
    await expect(new TaskLoadGate(10).wait()).rejects.toMatchObject({ code: SchedulerErrorCode.NotReady, message: expect.stringContaining('within 10 ms') });
  });
});
