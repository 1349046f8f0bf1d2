// The morph target names an avatar model must carry: Oculus visemes and the ARKit blend shapes the expressions use,
// both as Ready Player Me names them. The page refuses a model that lacks any of them (MODEL_MISSING_MORPHS).

/** The Oculus viseme set, in its canonical order. */
export const VISEMES = ['sil', 'PP', 'FF', 'TH', 'DD', 'kk', 'CH', 'SS', 'nn', 'RR', 'aa', 'E', 'I', 'O', 'U'] as const;
export type Viseme = (typeof VISEMES)[number];
export type VisemeMorph = `viseme_${Viseme}`;

export function visemeMorph<V extends Viseme>(viseme: V): `viseme_${V}` {
  return `viseme_${viseme}`;
}

export const VISEME_MORPHS: readonly VisemeMorph[] = VISEMES.map(visemeMorph);

/** The ARKit blend shapes the expressions (and blinking) drive. */
export const EXPRESSION_MORPHS = [
  'eyeBlinkLeft',
  'eyeBlinkRight',
  'eyeWideLeft',
  'eyeWideRight',
  'eyeSquintLeft',
  'eyeSquintRight',
  'browInnerUp',
  'browDownLeft',
  'browDownRight',
  'browOuterUpLeft',
  'browOuterUpRight',
  'mouthSmileLeft',
  'mouthSmileRight',
  'mouthFrownLeft',
  'mouthFrownRight',
  'mouthPucker',
  'mouthFunnel',
  'jawOpen',
  'cheekSquintLeft',
  'cheekSquintRight',
] as const;
export type ExpressionMorph = (typeof EXPRESSION_MORPHS)[number];

export type RequiredMorphTarget = VisemeMorph | ExpressionMorph;

export const REQUIRED_MORPH_TARGETS: readonly RequiredMorphTarget[] = [...VISEME_MORPHS, ...EXPRESSION_MORPHS];

export function isViseme(value: string): value is Viseme {
  return (VISEMES as readonly string[]).includes(value);
}

/** The required targets `available` lacks, in REQUIRED_MORPH_TARGETS order (empty when the model is complete). */
export function missingMorphTargets(available: Iterable<string>): RequiredMorphTarget[] {
  const present = new Set(available);
  return REQUIRED_MORPH_TARGETS.filter((name) => !present.has(name));
}
