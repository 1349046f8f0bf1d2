// The refusal log on a fake clock: what is logged at once, what is counted, and when the counts are reported.
import { captureLogger } from '@aico/logging';
import { BusRefusalReason, RefusalLog, type BusRefusal } from './refusal-log';

const unknownKey = (address: string, key = 'k1'): BusRefusal => ({ address, reason: BusRefusalReason.UnknownKey, detail: `unknown CURVE public key ${key}` });
const plain = (role: 'publish' | 'subscribe'): BusRefusal => ({
  address: 'tcp://127.0.0.1:5555',
  role,
  reason: BusRefusalReason.HandshakeProtocol,
  detail: 'ERR_ZMTP_MECHANISM_MISMATCH',
});

function newTestLog(options: { maxSources?: number } = {}) {
  const { logger, lines } = captureLogger('bus');
  const sut = new RefusalLog({ logger, intervalMs: 10_000, ...options });
  const refusals = () => lines.filter((line) => String(line.msg).startsWith('Bus client refused'));
  const total = () => refusals().reduce((sum, line) => sum + Number(line['count']), 0);
  return { sut, lines, refusals, total };
}

describe('RefusalLog', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00.000Z') }));
  afterEach(() => jest.useRealTimers());

  it('logs the first refusal of a source at once, then one line per interval with the count, first and last time', () => {
    const { sut, refusals, total } = newTestLog();
    sut.record(unknownKey('127.0.0.1'));
    expect(refusals()).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'Bus client refused',
        address: '127.0.0.1',
        reason: 'UNKNOWN_CURVE_KEY',
        detail: 'unknown CURVE public key k1',
        count: 1,
      }),
    ]);
    for (let i = 0; i < 999; i++) {
      jest.advanceTimersByTime(5);
      sut.record(unknownKey('127.0.0.1', `k${i % 5}`));
    }
    expect(refusals()).toHaveLength(1);
    jest.advanceTimersByTime(10_000 - 999 * 5);
    expect(refusals()).toHaveLength(2);
    expect(refusals()[1]).toMatchObject({
      msg: 'Bus client refused repeatedly',
      address: '127.0.0.1',
      reason: 'UNKNOWN_CURVE_KEY',
      count: 999,
      firstAt: '2026-01-01T00:00:00.005Z',
      lastAt: '2026-01-01T00:00:04.995Z',
      intervalMs: 10_000,
    });
    expect(refusals()[1]!['details']).toHaveLength(3);
    expect(total()).toBe(1_000);
    expect(sut.total).toBe(1_000);
  });

  it('keeps sources and reasons apart, and forgets a source after a quiet interval', () => {
    const { sut, refusals, total } = newTestLog();
    sut.record(unknownKey('127.0.0.1'));
    sut.record(unknownKey('127.0.0.2'));
    sut.record(plain('publish'));
    sut.record(plain('subscribe'));
    expect(refusals().map((line) => [line['address'], line['reason']])).toEqual([
      ['127.0.0.1', 'UNKNOWN_CURVE_KEY'],
      ['127.0.0.2', 'UNKNOWN_CURVE_KEY'],
      ['tcp://127.0.0.1:5555', 'HANDSHAKE_PROTOCOL_ERROR'],
    ]);
    jest.advanceTimersByTime(10_000);
    // The plain clients came by two sockets of one endpoint: the report names no single role.
    expect(refusals().at(-1)).toMatchObject({ msg: 'Bus client refused repeatedly', address: 'tcp://127.0.0.1:5555', count: 1 });
    expect(refusals().at(-1)!['role']).toBeUndefined();
    jest.advanceTimersByTime(10_000);
    // Quiet for an interval: forgotten, so the next refusal is news again.
    sut.record(unknownKey('127.0.0.1'));
    expect(refusals().at(-1)).toMatchObject({ msg: 'Bus client refused', address: '127.0.0.1', count: 1 });
    expect(refusals()).toHaveLength(5);
    expect(total()).toBe(5);
  });

  it('bounds the sources it tracks: beyond the limit, refusals are counted together under "*"', () => {
    const { sut, refusals, total } = newTestLog({ maxSources: 10 });
    // 16 million loopback addresses, one refusal each (here 1,000).
    for (let i = 0; i < 1_000; i++) sut.record(unknownKey(`127.0.${Math.floor(i / 250)}.${i % 250}`));
    jest.advanceTimersByTime(10_000);
    expect(refusals()).toHaveLength(12);
    expect(refusals().at(-1)).toMatchObject({ msg: 'Bus client refused repeatedly', address: '*', count: 989 });
    expect(total()).toBe(1_000);
  });

  it('reports what is still counted when stopped, and stops its timer', () => {
    const { sut, refusals, total } = newTestLog();
    for (let i = 0; i < 3; i++) sut.record(plain('subscribe'));
    sut.stop();
    expect(refusals().map((line) => line['count'])).toEqual([1, 2]);
    expect(total()).toBe(3);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('runs no timer while nothing is refused', () => {
    const { sut } = newTestLog();
    expect(jest.getTimerCount()).toBe(0);
    sut.record(plain('publish'));
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(10_000);
    expect(jest.getTimerCount()).toBe(0);
  });
});
