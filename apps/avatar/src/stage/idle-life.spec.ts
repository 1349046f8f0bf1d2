import { IdleLife, seededRandom } from './idle-life';

describe('IdleLife', () => {
  const sample = (life: IdleLife, untilMs: number, stepMs = 10) => {
    const states = [];
    for (let t = 0; t <= untilMs; t += stepMs) states.push({ t, ...life.at(t) });
    return states;
  };

  it('blinks every few seconds, each blink short and fully closing', () => {
    const states = sample(new IdleLife(seededRandom(1)), 30_000);
    const starts = states.filter((s, i) => s.blink > 0 && (states[i - 1]?.blink ?? 0) === 0);
    expect(starts.length).toBeGreaterThanOrEqual(4);
    expect(starts.length).toBeLessThanOrEqual(20);
    expect(Math.max(...states.map((s) => s.blink))).toBeGreaterThan(0.95);
    // Eyes are open most of the time.
    expect(states.filter((s) => s.blink > 0.5).length / states.length).toBeLessThan(0.1);
  });

  it('breathes slowly within a few millimetres and keeps the gaze within small angles', () => {
    const states = sample(new IdleLife(seededRandom(2)), 20_000);
    expect(Math.max(...states.map((s) => Math.abs(s.breath)))).toBeLessThanOrEqual(0.0025);
    expect(Math.max(...states.map((s) => Math.abs(s.gaze.yaw)))).toBeLessThan(0.2);
    expect(new Set(states.map((s) => s.gaze.yaw.toFixed(3))).size).toBeGreaterThan(3);
  });

  it('repeats with the same seed', () => {
    expect(sample(new IdleLife(seededRandom(7)), 5_000)).toEqual(sample(new IdleLife(seededRandom(7)), 5_000));
  });
});
