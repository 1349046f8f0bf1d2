// Facial expressions as ARKit blend-shape recipes, and the linear blend the page uses to move between moods.
import { EXPRESSION_MORPHS, type ExpressionMorph } from './morph-targets';

export const EXPRESSIONS = ['neutral', 'happy', 'sad', 'surprised', 'thinking'] as const;
export type Expression = (typeof EXPRESSIONS)[number];

export type ExpressionWeights = Record<ExpressionMorph, number>;

type Recipe = Readonly<Partial<ExpressionWeights>>;

// Full-intensity weights; every morph not named stays at 0. Kept below 1 where a full shape looks like a grimace.
const RECIPES: Readonly<Record<Expression, Recipe>> = {
  neutral: {},
  happy: {
    mouthSmileLeft: 0.8,
    mouthSmileRight: 0.8,
    cheekSquintLeft: 0.5,
    cheekSquintRight: 0.5,
    eyeSquintLeft: 0.25,
    eyeSquintRight: 0.25,
  },
  sad: {
    mouthFrownLeft: 0.7,
    mouthFrownRight: 0.7,
    browInnerUp: 0.8,
    eyeSquintLeft: 0.1,
    eyeSquintRight: 0.1,
  },
  surprised: {
    eyeWideLeft: 0.8,
    eyeWideRight: 0.8,
    browInnerUp: 0.7,
    browOuterUpLeft: 0.7,
    browOuterUpRight: 0.7,
    jawOpen: 0.25,
    mouthFunnel: 0.1,
  },
  // Asymmetric on purpose: one lowered brow reads as pondering, two as anger.
  thinking: {
    browDownLeft: 0.5,
    browOuterUpRight: 0.3,
    mouthPucker: 0.3,
    eyeSquintLeft: 0.2,
    eyeSquintRight: 0.2,
  },
};

export function isExpression(value: string): value is Expression {
  return (EXPRESSIONS as readonly string[]).includes(value);
}

const clamp01 = (value: number): number => (Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0);

function zeroWeights(): ExpressionWeights {
  return Object.fromEntries(EXPRESSION_MORPHS.map((name) => [name, 0])) as ExpressionWeights;
}

/** Every expression morph's weight for `expression` at `intensity` (0..1, clamped); unused morphs are 0. */
export function expressionWeights(expression: Expression, intensity = 1): ExpressionWeights {
  const weights = zeroWeights();
  const scale = clamp01(intensity);
  const recipe = RECIPES[expression];
  for (const name of EXPRESSION_MORPHS) weights[name] = clamp01((recipe[name] ?? 0) * scale);
  return weights;
}

/**
 * Linear blend from `a` (t = 0) to `b` (t = 1); t and every result are clamped to 0..1. Keys present in either
 * side appear in the result, a missing key counting as 0.
 */
export function blendWeights<K extends string>(a: Readonly<Record<K, number>>, b: Readonly<Record<K, number>>, t: number): Record<K, number> {
  const k = clamp01(t);
  const result = {} as Record<K, number>;
  const keys = new Set<K>([...(Object.keys(a) as K[]), ...(Object.keys(b) as K[])]);
  for (const key of keys) {
    const from = a[key] ?? 0;
    const to = b[key] ?? 0;
    result[key] = clamp01(from + (to - from) * k);
  }
  return result;
}
