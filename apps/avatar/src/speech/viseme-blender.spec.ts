import { VISEME_MORPHS } from '@aico/avatar-protocol';
import { visemeWeightsAt } from './viseme-blender';
import { textToVisemes, type VisemeTimeline } from './viseme-timeline';

const sum = (weights: Record<string, number>) => Object.values(weights).reduce((a, b) => a + b, 0);

describe('visemeWeightsAt', () => {
  // Hand-made so the numbers are obvious: 100 ms sil, 200 ms aa at 0.8, 100 ms PP, 100 ms sil.
  const timeline: VisemeTimeline = {
    cues: [
      { viseme: 'sil', startMs: 0, durationMs: 100, weight: 1 },
      { viseme: 'aa', startMs: 100, durationMs: 200, weight: 0.8 },
      { viseme: 'PP', startMs: 300, durationMs: 100, weight: 1 },
      { viseme: 'sil', startMs: 400, durationMs: 100, weight: 1 },
    ],
    durationMs: 500,
  };

  it('names every viseme morph, each in 0..1', () => {
    const weights = visemeWeightsAt(timeline, 250);
    expect(Object.keys(weights).sort()).toEqual([...VISEME_MORPHS].sort());
    for (const value of Object.values(weights)) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
  });

  it("is the cue's viseme at its weight at the cue's centre, nothing else", () => {
    const weights = visemeWeightsAt(timeline, 200);
    expect(weights.viseme_aa).toBeCloseTo(0.8, 6);
    expect(sum(weights)).toBeCloseTo(0.8, 6);
    expect(visemeWeightsAt(timeline, 350).viseme_PP).toBeCloseTo(1, 6);
  });

  it('cross-fades smoothly across a boundary, half and half at the boundary itself', () => {
    const at = (t: number) => visemeWeightsAt(timeline, t, { blendMs: 60 });
    expect(at(300).viseme_aa).toBeCloseTo(0.4, 6);
    expect(at(300).viseme_PP).toBeCloseTo(0.5, 6);
    // Outside the 60 ms window: no blend.
    expect(at(269).viseme_PP).toBe(0);
    expect(at(331).viseme_aa).toBe(0);
    // Monotonic within it.
    let previous = 0;
    for (let t = 270; t <= 330; t += 5) {
      const weights = at(t);
      expect(weights.viseme_PP).toBeGreaterThanOrEqual(previous);
      previous = weights.viseme_PP;
      expect(sum(weights)).toBeLessThanOrEqual(1 + 1e-9);
    }
  });

  it('never lets the blend sum exceed 1 anywhere on a real timeline', () => {
    const real = textToVisemes('The quick brown fox jumps over the lazy dog, twice.');
    for (let t = 0; t < real.durationMs; t += 3) expect(sum(visemeWeightsAt(real, t))).toBeLessThanOrEqual(1 + 1e-9);
  });

  it('limits the blend to half of a short cue', () => {
    const short: VisemeTimeline = {
      cues: [
        { viseme: 'sil', startMs: 0, durationMs: 100, weight: 1 },
        { viseme: 'DD', startMs: 100, durationMs: 20, weight: 1 },
        { viseme: 'sil', startMs: 120, durationMs: 100, weight: 1 },
      ],
      durationMs: 220,
    };
    expect(visemeWeightsAt(short, 110, { blendMs: 200 }).viseme_DD).toBeCloseTo(1, 6);
  });

  it('snaps without blending when blendMs is 0', () => {
    expect(visemeWeightsAt(timeline, 301, { blendMs: 0 }).viseme_PP).toBe(1);
    expect(visemeWeightsAt(timeline, 299, { blendMs: 0 }).viseme_aa).toBeCloseTo(0.8, 6);
  });

  it('rests the mouth before the start and after the end: sil 1, everything else 0', () => {
    for (const t of [-10, 500, 10_000, Number.NaN]) {
      const weights = visemeWeightsAt(timeline, t);
      expect(weights.viseme_sil).toBe(1);
      expect(sum(weights)).toBe(1);
    }
    expect(visemeWeightsAt({ cues: [], durationMs: 0 }, 0).viseme_sil).toBe(1);
  });
});
