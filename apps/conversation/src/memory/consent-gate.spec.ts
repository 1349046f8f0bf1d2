// The consent gate: answers trusted for a while, a decision holds at once, and no answer means no.
import { MEMORY_CONSENT_PURPOSE } from '@aico/contracts';
import { ConsentGate } from './consent-gate';

describe('ConsentGate', () => {
  let now = 0;
  let answer = true;
  let asked: string[] = [];
  const gate = () =>
    new ConsentGate(
      (userId, purpose) => {
        asked.push(`${userId}:${purpose}`);
        return Promise.resolve(answer);
      },
      { cacheMs: 1_000, now: () => now },
    );
  beforeEach(() => {
    now = 0;
    answer = true;
    asked = [];
  });

  it('asks for conversation.memory once per cache period', async () => {
    const consent = gate();
    expect(await consent.granted('ada')).toBe(true);
    answer = false;
    now = 999;
    expect(await consent.granted('ada')).toBe(true);
    now = 1_000;
    expect(await consent.granted('ada')).toBe(false);
    expect(asked).toEqual([`ada:${MEMORY_CONSENT_PURPOSE}`, `ada:${MEMORY_CONSENT_PURPOSE}`]);
  });

  it('takes a decision at once, and does not cache an answer asked for before it', async () => {
    const consent = gate();
    expect(await consent.granted('ada')).toBe(true);
    consent.decided('ada', false);
    expect(await consent.granted('ada')).toBe(false);
    // A check in flight while the user decides: its (older) answer is not kept.
    let release!: (granted: boolean) => void;
    const slow = new ConsentGate(() => new Promise<boolean>((resolve) => (release = resolve)), { cacheMs: 1_000, now: () => now });
    const pending = slow.granted('ada');
    slow.decided('ada', false);
    release(true);
    expect(await pending).toBe(true);
    expect(await slow.granted('ada')).toBe(false);
  });

  it('counts a check without an answer as no for the cache period, then asks again', async () => {
    const failures: unknown[] = [];
    let fail = true;
    const consent = new ConsentGate(() => (fail ? Promise.reject(new Error('no gateway')) : Promise.resolve(true)), {
      cacheMs: 1_000,
      now: () => now,
      onCheckFailed: (error) => failures.push(error),
    });
    expect(await consent.granted('ada')).toBe(false);
    fail = false;
    expect(await consent.granted('ada')).toBe(false);
    now = 1_000;
    expect(await consent.granted('ada')).toBe(true);
    expect(failures).toHaveLength(1);
    // A decision is not waited out.
    fail = true;
    now = 2_000;
    expect(await consent.granted('bea')).toBe(false);
    consent.decided('bea', true);
    expect(await consent.granted('bea')).toBe(true);
  });
});
