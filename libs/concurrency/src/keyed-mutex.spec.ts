import { KeyedMutex } from './keyed-mutex';

describe('KeyedMutex', () => {
  it('runs the tasks of one key one at a time in arrival order, other keys alongside, and forgets idle keys', async () => {
    const mutex = new KeyedMutex();
    const events: string[] = [];
    const task = (name: string) => async () => {
      events.push(`${name} start`);
      await new Promise((resolve) => setImmediate(resolve));
      events.push(`${name} end`);
      if (name === 'a2') throw new Error('a2 failed');
      return name;
    };
    const results = await Promise.allSettled([mutex.run('a', task('a1')), mutex.run('a', task('a2')), mutex.run('b', task('b1')), mutex.run('a', task('a3'))]);
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as Error).message))).toEqual(['a1', 'a2 failed', 'b1', 'a3']);
    const a = events.filter((event) => event.startsWith('a'));
    expect(a).toEqual(['a1 start', 'a1 end', 'a2 start', 'a2 end', 'a3 start', 'a3 end']);
    expect(events.indexOf('b1 start')).toBeLessThan(events.indexOf('a1 end'));
    expect(mutex.size).toBe(0);
  });
});
