// The drop counter on a fake clock: the first drop of a reason at once, the rest once per interval with a count.
import { captureLogger } from '@aico/logging';
import { DropCounter } from './drop-counter';

describe('DropCounter', () => {
  it('logs the first drop of a reason at once and later ones once per interval, saying how many it held back', () => {
    let now = 0;
    const { logger, lines } = captureLogger('test');
    const sut = new DropCounter(logger, 1_000, () => now);
    for (let i = 0; i < 500; i++) {
      sut.drop('malformed', { topic: 't' }, 'bytes that are not an envelope');
      now += 1;
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, reason: 'malformed', droppedTotal: 1, msg: 'Dropped envelope: bytes that are not an envelope' });
    now = 1_000;
    sut.drop('malformed', { topic: 't' }, 'bytes that are not an envelope');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ droppedTotal: 501, suppressed: 499 });
    // Another reason has its own interval; expected drops are counted at debug level.
    sut.drop('late_reply', {}, 'a reply after its deadline');
    expect(lines[2]).toMatchObject({ level: 20, reason: 'late_reply', droppedTotal: 1 });
    expect(sut.byReason()).toEqual({ malformed: 501, late_reply: 1 });
    expect(sut.total).toBe(502);
  });
});
