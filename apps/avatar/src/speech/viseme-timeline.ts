// Text → timed Oculus visemes, rule-based like TalkingHead.js's lipsync-en: English spelling rules (digraphs first,
// then single letters), a duration per viseme class scaled by speaking rate. Good enough for lips, not a phonemizer.
import { type Viseme } from '@aico/avatar-protocol';

export interface VisemeCue {
  readonly viseme: Viseme;
  readonly startMs: number;
  readonly durationMs: number;
  /** How far the viseme's morph opens at the cue's centre, 0..1. */
  readonly weight: number;
}

export interface VisemeTimeline {
  readonly cues: readonly VisemeCue[];
  readonly durationMs: number;
}

export interface TextToVisemesOptions {
  /** Speaking rate; durations scale by DEFAULT_WORDS_PER_MINUTE / wordsPerMinute. Clamped to 60..400. */
  readonly wordsPerMinute?: number;
  /** Read digits one by one ("42" → "four two"); default true. Otherwise digits are skipped. */
  readonly spellDigits?: boolean;
}

/** The level of speech audio (e.g. RMS per frame), `sampleRateHz` values a second, each 0..1. */
export interface AudioEnvelope {
  readonly sampleRateHz: number;
  readonly envelope: readonly number[];
}

export const DEFAULT_WORDS_PER_MINUTE = 165;

// Milliseconds at the default rate: vowels carry a syllable, consonants are transitions.
const DURATION_MS: Readonly<Record<Viseme, number>> = {
  sil: 100,
  PP: 80,
  FF: 85,
  TH: 85,
  DD: 65,
  kk: 75,
  CH: 90,
  SS: 90,
  nn: 70,
  RR: 75,
  aa: 150,
  E: 130,
  I: 115,
  O: 150,
  U: 135,
};

// Closed lips (PP) must close fully; tongue-only consonants barely show.
const WEIGHT: Readonly<Record<Viseme, number>> = {
  sil: 1,
  PP: 1,
  FF: 0.9,
  TH: 0.8,
  DD: 0.7,
  kk: 0.6,
  CH: 0.85,
  SS: 0.7,
  nn: 0.6,
  RR: 0.7,
  aa: 1,
  E: 0.8,
  I: 0.75,
  O: 0.9,
  U: 0.85,
};

/** Silences, in ms at the default rate. */
const PAUSE_MS = { lead: 80, word: 100, comma: 250, dash: 200, sentence: 350, line: 300, end: 120 } as const;

/**
 * Spelling yields more visemes than speech has phonemes ("speech": s p ee ch), so the table above read as is gives
 * ~117 words a minute on ordinary prose. Sounds and word gaps are shortened by this factor so that `wordsPerMinute`
 * means what it says (within ~10 %, see the spec); punctuation pauses are not, they are real silences.
 */
const SPELLING_CALIBRATION = 0.7;

const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] as const;

// Longest first. Silent letters (h, gh) produce nothing.
const GRAPHEMES: readonly (readonly [string, readonly Viseme[]])[] = [
  ['tch', ['CH']],
  ['th', ['TH']],
  ['sh', ['CH']],
  ['ch', ['CH']],
  ['ph', ['FF']],
  ['ng', ['nn']],
  ['ck', ['kk']],
  ['qu', ['kk', 'U']],
  ['wh', ['U']],
  ['wr', ['RR']],
  ['oo', ['U']],
  ['ee', ['I']],
  ['ea', ['I']],
  ['ie', ['I']],
  ['ai', ['E']],
  ['ay', ['E']],
  ['ei', ['E']],
  ['ey', ['E']],
  ['ou', ['aa', 'U']],
  ['ow', ['aa', 'U']],
  ['oi', ['O', 'I']],
  ['oy', ['O', 'I']],
  ['oa', ['O']],
  ['au', ['O']],
  ['aw', ['O']],
  ['ew', ['U']],
  ['ue', ['U']],
];

const LETTERS: Readonly<Record<string, readonly Viseme[]>> = {
  a: ['aa'],
  b: ['PP'],
  c: ['kk'],
  d: ['DD'],
  e: ['E'],
  f: ['FF'],
  g: ['kk'],
  h: [],
  i: ['I'],
  j: ['CH'],
  k: ['kk'],
  l: ['nn'],
  m: ['PP'],
  n: ['nn'],
  o: ['O'],
  p: ['PP'],
  q: ['kk'],
  r: ['RR'],
  s: ['SS'],
  t: ['DD'],
  u: ['U'],
  v: ['FF'],
  w: ['U'],
  x: ['kk', 'SS'],
  y: ['I'],
  z: ['SS'],
};

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u', 'y']);

/** A final e after a consonant is silent when the word has another vowel: "phone", "there" — not "the", "he". */
function hasSilentFinalE(word: string): boolean {
  if (word.length < 3 || !word.endsWith('e')) return false;
  const before = word.at(-2)!;
  return !VOWELS.has(before) && [...word.slice(0, -2)].some((letter) => VOWELS.has(letter));
}

/** The visemes of one lower-case word of letters a-z. */
export function wordToVisemes(word: string): Viseme[] {
  const end = hasSilentFinalE(word) ? word.length - 1 : word.length;
  const out: Viseme[] = [];
  let i = 0;
  while (i < end) {
    const rest = word.slice(i, end);
    // Silent letters by position: "knee", "gnome", "ghost" (g sounds), "light" (gh silent), "lamb" (b silent).
    if (i === 0 && (rest.startsWith('kn') || rest.startsWith('gn'))) {
      i += 1;
      continue;
    }
    if (rest.startsWith('gh')) {
      if (i === 0) out.push('kk');
      i += 2;
      continue;
    }
    if (rest === 'mb') {
      out.push('PP');
      break;
    }
    const grapheme = GRAPHEMES.find(([spelling]) => rest.startsWith(spelling));
    if (grapheme) {
      out.push(...grapheme[1]);
      i += grapheme[0].length;
      continue;
    }
    const letter = word[i]!;
    // A doubled consonant is one sound: "hello", "miss".
    if (i > 0 && word[i - 1] === letter && !VOWELS.has(letter)) {
      i += 1;
      continue;
    }
    // Soft c: "city", "face".
    if (letter === 'c' && i + 1 < word.length && 'eiy'.includes(word[i + 1]!)) out.push('SS');
    else out.push(...(LETTERS[letter] ?? []));
    i += 1;
  }
  return out;
}

type Token = { readonly kind: 'word'; readonly text: string } | { readonly kind: 'pause'; readonly ms: number };

function pauseFor(char: string): number {
  if ('.!?…'.includes(char)) return PAUSE_MS.sentence;
  if (',;:'.includes(char)) return PAUSE_MS.comma;
  if ('-–—()'.includes(char)) return PAUSE_MS.dash;
  if (char === '\n') return PAUSE_MS.line;
  return PAUSE_MS.word;
}

function tokenize(text: string, spellDigits: boolean): Token[] {
  // Accents off ("naïve" → "naive"), but an accented e is sounded, never a silent final e ("café" → "cafey");
  // letters outside a-z (other scripts) are not read.
  const plain = text
    .toLowerCase()
    .replace(/[éèêë]/g, 'ey')
    .normalize('NFD')
    .replace(/\p{M}/gu, '');
  const tokens: Token[] = [];
  let word = '';
  const flush = (): void => {
    if (word.length > 0) tokens.push({ kind: 'word', text: word });
    word = '';
  };
  for (const char of plain) {
    if (char >= 'a' && char <= 'z') word += char;
    else if (char === "'" || char === '’')
      continue; // "don't" is one word
    else if (char >= '0' && char <= '9') {
      flush();
      if (spellDigits) tokens.push({ kind: 'word', text: DIGITS[Number(char)]! }, { kind: 'pause', ms: PAUSE_MS.word });
    } else {
      flush();
      tokens.push({ kind: 'pause', ms: pauseFor(char) });
    }
  }
  flush();
  return tokens;
}

class TimelineBuilder {
  readonly cues: VisemeCue[] = [];
  private at = 0;

  constructor(private readonly scale: number) {}

  push(viseme: Viseme, baseMs: number): void {
    const durationMs = Math.max(1, Math.round(baseMs * this.scale));
    const last = this.cues.at(-1);
    if (last?.viseme === viseme) {
      // Consecutive identical visemes are one cue. Gaps keep the longest pause, not their sum ("word. Next").
      const merged = viseme === 'sil' ? Math.max(last.durationMs, durationMs) : last.durationMs + durationMs;
      this.at += merged - last.durationMs;
      this.cues[this.cues.length - 1] = { ...last, durationMs: merged };
      return;
    }
    this.cues.push({ viseme, startMs: this.at, durationMs, weight: WEIGHT[viseme] });
    this.at += durationMs;
  }

  get durationMs(): number {
    return this.at;
  }
}

/** The viseme cues for `text`, starting and ending with `sil`, consecutive identical visemes merged. */
export function textToVisemes(text: string, options: TextToVisemesOptions = {}): VisemeTimeline {
  const wpm = Math.min(400, Math.max(60, options.wordsPerMinute ?? DEFAULT_WORDS_PER_MINUTE));
  const builder = new TimelineBuilder(DEFAULT_WORDS_PER_MINUTE / (Number.isFinite(wpm) ? wpm : DEFAULT_WORDS_PER_MINUTE));
  builder.push('sil', PAUSE_MS.lead);
  for (const token of tokenize(text, options.spellDigits ?? true)) {
    if (token.kind === 'pause') builder.push('sil', token.ms === PAUSE_MS.word ? token.ms * SPELLING_CALIBRATION : token.ms);
    else for (const viseme of wordToVisemes(token.text)) builder.push(viseme, DURATION_MS[viseme] * SPELLING_CALIBRATION);
  }
  builder.push('sil', PAUSE_MS.end);
  return { cues: builder.cues, durationMs: builder.durationMs };
}

/** Below this share of the envelope's peak, the audio is silence and the mouth rests (sil). */
export const SILENCE_LEVEL = 0.05;

/**
 * Fit a text timeline to real speech audio: stretch it to the audio's duration and scale each cue's weight by the
 * envelope's mean level over the cue (relative to the envelope's peak, so quiet recordings still move the lips);
 * a cue over silence becomes `sil`.
 */
export function withAmplitude(timeline: VisemeTimeline, audio: AudioEnvelope): VisemeTimeline {
  const { envelope, sampleRateHz } = audio;
  if (envelope.length === 0 || !(sampleRateHz > 0) || timeline.durationMs <= 0) return timeline;
  const audioMs = (envelope.length / sampleRateHz) * 1000;
  const stretch = audioMs / timeline.durationMs;
  const peak = envelope.reduce((max, value) => Math.max(max, value), 0);
  const levelBetween = (startMs: number, endMs: number): number => {
    if (peak <= 0) return 0;
    const from = Math.min(envelope.length - 1, Math.floor((startMs / 1000) * sampleRateHz));
    const to = Math.min(envelope.length, Math.max(from + 1, Math.ceil((endMs / 1000) * sampleRateHz)));
    let sum = 0;
    for (let i = from; i < to; i++) sum += envelope[i]!;
    return sum / (to - from) / peak;
  };

  const cues: VisemeCue[] = [];
  for (const cue of timeline.cues) {
    const startMs = cue.startMs * stretch;
    const durationMs = cue.durationMs * stretch;
    const level = levelBetween(startMs, startMs + durationMs);
    const silent = cue.viseme === 'sil' || level < SILENCE_LEVEL;
    const next: VisemeCue = silent
      ? { viseme: 'sil', startMs, durationMs, weight: 1 }
      : { ...cue, startMs, durationMs, weight: Math.min(1, cue.weight * level) };
    const last = cues.at(-1);
    if (last?.viseme === 'sil' && next.viseme === 'sil') cues[cues.length - 1] = { ...last, durationMs: last.durationMs + next.durationMs };
    else cues.push(next);
  }
  return { cues, durationMs: audioMs };
}
