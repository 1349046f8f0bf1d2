// Viseme morph weights at a moment of a timeline: each cue cross-fades into the next (smoothstep) so the mouth
// moves instead of snapping. Called every frame, so the cue is found by binary search.
import { VISEME_MORPHS, visemeMorph, type VisemeMorph } from '@aico/avatar-protocol';
import { type VisemeCue, type VisemeTimeline } from './viseme-timeline';

export type VisemeWeights = Record<VisemeMorph, number>;

export interface VisemeBlendOptions {
  /** Length of a cross-fade, centred on the boundary between two cues; never more than half of either cue. */
  readonly blendMs?: number;
}

export const DEFAULT_BLEND_MS = 60;

const smoothstep = (x: number): number => {
  const t = Math.min(1, Math.max(0, x));
  return t * t * (3 - 2 * t);
};

function zeroWeights(): VisemeWeights {
  return Object.fromEntries(VISEME_MORPHS.map((name) => [name, 0])) as VisemeWeights;
}

/** Index of the cue playing at `timeMs` (the last cue starting at or before it). */
function cueIndexAt(cues: readonly VisemeCue[], timeMs: number): number {
  let low = 0;
  let high = cues.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (cues[middle]!.startMs <= timeMs) low = middle;
    else high = middle - 1;
  }
  return low;
}

/**
 * Every viseme morph's weight at `timeMs` (0..1; unused visemes 0). Outside the timeline (before 0, at or after its
 * end) the mouth rests: `viseme_sil` 1, everything else 0. Within, at most two cues contribute and their weights
 * sum to no more than the larger of the two.
 */
export function visemeWeightsAt(timeline: VisemeTimeline, timeMs: number, options: VisemeBlendOptions = {}): VisemeWeights {
  const weights = zeroWeights();
  const { cues } = timeline;
  if (cues.length === 0 || !(timeMs >= 0) || timeMs >= timeline.durationMs) {
    weights.viseme_sil = 1;
    return weights;
  }
  const halfBlend = Math.max(0, options.blendMs ?? DEFAULT_BLEND_MS) / 2;
  const add = (cue: VisemeCue, share: number): void => {
    const name = visemeMorph(cue.viseme);
    weights[name] = Math.min(1, weights[name] + cue.weight * share);
  };

  const index = cueIndexAt(cues, timeMs);
  const cue = cues[index]!;
  const previous = cues[index - 1];
  const next = cues[index + 1];
  let own = 1;
  if (previous) {
    const half = Math.min(halfBlend, previous.durationMs / 2, cue.durationMs / 2);
    if (half > 0 && timeMs < cue.startMs + half) {
      const s = smoothstep((timeMs - (cue.startMs - half)) / (2 * half));
      add(previous, 1 - s);
      own = s;
    }
  }
  if (next) {
    const boundary = cue.startMs + cue.durationMs;
    const half = Math.min(halfBlend, cue.durationMs / 2, next.durationMs / 2);
    if (half > 0 && timeMs > boundary - half) {
      const s = smoothstep((timeMs - (boundary - half)) / (2 * half));
      add(next, s);
      own = 1 - s;
    }
  }
  add(cue, own);
  return weights;
}
