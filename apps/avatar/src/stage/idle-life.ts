// What keeps a still avatar alive: blinks at irregular intervals, slow breathing, and small gaze movements
// (saccades to a nearby point, then a rest). Pure functions of time and a seeded random source, so a frame can be
// computed for any instant and tested without a renderer.
export interface IdleState {
  /** 0 (open) .. 1 (closed). */
  readonly blink: number;
  /** Breathing phase as a small vertical offset in metres. */
  readonly breath: number;
  /** Gaze direction in radians: yaw (left/right) and pitch (up/down). */
  readonly gaze: { readonly yaw: number; readonly pitch: number };
}

const BLINK_MS = 140;

export class IdleLife {
  private nextBlinkAt: number;
  private blinkStartedAt = -Infinity;
  private nextGazeAt: number;
  private gazeFrom = { yaw: 0, pitch: 0 };
  private gazeTo = { yaw: 0, pitch: 0 };
  private gazeStartedAt = 0;

  constructor(
    private readonly random: () => number = Math.random,
    startMs = 0,
  ) {
    this.nextBlinkAt = startMs + 1_500 + random() * 3_000;
    this.nextGazeAt = startMs + 800 + random() * 1_500;
  }

  at(nowMs: number): IdleState {
    if (nowMs >= this.nextBlinkAt) {
      this.blinkStartedAt = nowMs;
      // Now and then a double blink, as people do.
      this.nextBlinkAt = nowMs + (this.random() < 0.15 ? BLINK_MS * 2.2 : 2_000 + this.random() * 4_000);
    }
    const sinceBlink = nowMs - this.blinkStartedAt;
    const blink = sinceBlink < BLINK_MS ? Math.sin((sinceBlink / BLINK_MS) * Math.PI) : 0;

    if (nowMs >= this.nextGazeAt) {
      this.gazeFrom = this.gazeAt(nowMs);
      // Mostly back towards the viewer, sometimes a glance aside.
      const glance = this.random() < 0.35;
      this.gazeTo = glance
        ? { yaw: (this.random() - 0.5) * 0.35, pitch: (this.random() - 0.5) * 0.15 }
        : { yaw: (this.random() - 0.5) * 0.06, pitch: (this.random() - 0.5) * 0.04 };
      this.gazeStartedAt = nowMs;
      this.nextGazeAt = nowMs + 600 + this.random() * 2_400;
    }
    const breath = Math.sin((nowMs / 4_200) * Math.PI * 2) * 0.0025;
    return { blink, breath, gaze: this.gazeAt(nowMs) };
  }

  /** Saccades are quick: 80 ms from one point to the next. */
  private gazeAt(nowMs: number): { yaw: number; pitch: number } {
    const t = Math.min(1, (nowMs - this.gazeStartedAt) / 80);
    return { yaw: this.gazeFrom.yaw + (this.gazeTo.yaw - this.gazeFrom.yaw) * t, pitch: this.gazeFrom.pitch + (this.gazeTo.pitch - this.gazeFrom.pitch) * t };
  }
}

/** A small deterministic random source (mulberry32), so tests and screenshots repeat. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
