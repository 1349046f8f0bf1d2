import { blendWeights, EXPRESSIONS, expressionWeights } from './expressions';
import { EXPRESSION_MORPHS, missingMorphTargets, REQUIRED_MORPH_TARGETS, VISEMES, visemeMorph } from './morph-targets';

describe('morph targets', () => {
  it('names the 15 Oculus visemes the Ready Player Me way', () => {
    expect(VISEMES).toHaveLength(15);
    expect(visemeMorph('PP')).toBe('viseme_PP');
    expect(REQUIRED_MORPH_TARGETS).toHaveLength(15 + EXPRESSION_MORPHS.length);
    expect(REQUIRED_MORPH_TARGETS).toContain('viseme_sil');
    expect(REQUIRED_MORPH_TARGETS).toContain('jawOpen');
  });

  it('lists exactly the missing targets', () => {
    expect(missingMorphTargets(new Set([...REQUIRED_MORPH_TARGETS, 'mouthRollLower']))).toEqual([]);
    const available = REQUIRED_MORPH_TARGETS.filter((name) => name !== 'viseme_PP' && name !== 'browInnerUp');
    expect(missingMorphTargets(available)).toEqual(['viseme_PP', 'browInnerUp']);
    expect(missingMorphTargets([])).toEqual(REQUIRED_MORPH_TARGETS);
  });
});

describe('expressionWeights', () => {
  it.each(EXPRESSIONS)('gives %s a weight in 0..1 for every expression morph', (expression) => {
    const weights = expressionWeights(expression, 1);
    expect(Object.keys(weights).sort()).toEqual([...EXPRESSION_MORPHS].sort());
    for (const value of Object.values(weights)) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
  });

  it('is all zero for neutral and at intensity 0', () => {
    expect(Object.values(expressionWeights('neutral', 1)).every((v) => v === 0)).toBe(true);
    expect(Object.values(expressionWeights('happy', 0)).every((v) => v === 0)).toBe(true);
  });

  it('follows the recipes', () => {
    const happy = expressionWeights('happy');
    expect(happy.mouthSmileLeft).toBeGreaterThan(0.5);
    expect(happy.mouthSmileRight).toBe(happy.mouthSmileLeft);
    expect(happy.cheekSquintLeft).toBeGreaterThan(0);
    expect(happy.eyeSquintLeft).toBeGreaterThan(0);
    expect(happy.eyeSquintLeft).toBeLessThan(0.5);
    expect(happy.mouthFrownLeft).toBe(0);

    const sad = expressionWeights('sad');
    expect(sad.mouthFrownLeft).toBeGreaterThan(0.4);
    expect(sad.browInnerUp).toBeGreaterThan(0.4);
    expect(sad.mouthSmileLeft).toBe(0);

    const surprised = expressionWeights('surprised');
    expect(surprised.eyeWideLeft).toBeGreaterThan(0.4);
    expect(surprised.browOuterUpLeft).toBeGreaterThan(0.4);
    expect(surprised.browInnerUp).toBeGreaterThan(0.4);
    expect(surprised.jawOpen).toBeCloseTo(0.25);

    const thinking = expressionWeights('thinking');
    expect(thinking.browDownLeft).toBeGreaterThan(0);
    expect(thinking.browDownRight).toBe(0);
    expect(thinking.mouthPucker).toBeGreaterThan(0);
    expect(thinking.mouthPucker).toBeLessThan(0.5);
    expect(thinking.eyeSquintLeft).toBeGreaterThan(0);
  });

  it('scales with intensity and clamps it to 0..1', () => {
    expect(expressionWeights('happy', 0.5).mouthSmileLeft).toBeCloseTo(expressionWeights('happy', 1).mouthSmileLeft / 2);
    expect(expressionWeights('happy', 3)).toEqual(expressionWeights('happy', 1));
    expect(expressionWeights('happy', -1)).toEqual(expressionWeights('neutral', 1));
    expect(expressionWeights('happy', Number.NaN)).toEqual(expressionWeights('neutral', 1));
  });
});

describe('blendWeights', () => {
  const happy = expressionWeights('happy');
  const sad = expressionWeights('sad');

  it('is a at t = 0, b at t = 1, linear between', () => {
    expect(blendWeights(happy, sad, 0)).toEqual(happy);
    expect(blendWeights(happy, sad, 1)).toEqual(sad);
    const mid = blendWeights(happy, sad, 0.25);
    expect(mid.mouthSmileLeft).toBeCloseTo(happy.mouthSmileLeft * 0.75);
    expect(mid.browInnerUp).toBeCloseTo(sad.browInnerUp * 0.25);
  });

  it('clamps t and the results', () => {
    expect(blendWeights(happy, sad, -2)).toEqual(happy);
    expect(blendWeights(happy, sad, 7)).toEqual(sad);
    expect(blendWeights({ x: 0.5 }, { x: 3 }, 1)).toEqual({ x: 1 });
  });

  it('counts a key missing on one side as 0', () => {
    expect(blendWeights<string>({ a: 1 }, { b: 1 }, 0.5)).toEqual({ a: 0.5, b: 0.5 });
  });
});
