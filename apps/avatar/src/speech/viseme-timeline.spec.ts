import { type VisemeTimeline, textToVisemes, withAmplitude, wordToVisemes } from './viseme-timeline';

const sequence = (text: string, options?: Parameters<typeof textToVisemes>[1]) => textToVisemes(text, options).cues.map((cue) => cue.viseme);

/** Cues are contiguous from 0 to durationMs. */
function expectContiguous(timeline: VisemeTimeline): void {
  let at = 0;
  for (const cue of timeline.cues) {
    expect(cue.startMs).toBeCloseTo(at, 6);
    expect(cue.durationMs).toBeGreaterThan(0);
    at += cue.durationMs;
  }
  expect(timeline.durationMs).toBeCloseTo(at, 6);
}

describe('textToVisemes', () => {
  it.each([
    ['Hello there', ['sil', 'E', 'nn', 'O', 'sil', 'TH', 'E', 'RR', 'sil']],
    ['mama', ['sil', 'PP', 'aa', 'PP', 'aa', 'sil']],
    ['phone', ['sil', 'FF', 'O', 'nn', 'sil']],
    ['check', ['sil', 'CH', 'E', 'kk', 'sil']],
    ['the', ['sil', 'TH', 'E', 'sil']],
    ['quick', ['sil', 'kk', 'U', 'I', 'kk', 'sil']],
    ['watch', ['sil', 'U', 'aa', 'CH', 'sil']],
    ['sing', ['sil', 'SS', 'I', 'nn', 'sil']],
    ['moon', ['sil', 'PP', 'U', 'nn', 'sil']],
    ['see', ['sil', 'SS', 'I', 'sil']],
    ['day', ['sil', 'DD', 'E', 'sil']],
    ['house', ['sil', 'aa', 'U', 'SS', 'sil']],
    ['knife', ['sil', 'nn', 'I', 'FF', 'sil']],
    ['city', ['sil', 'SS', 'I', 'DD', 'I', 'sil']],
    ['box', ['sil', 'PP', 'O', 'kk', 'SS', 'sil']],
    ['jam', ['sil', 'CH', 'aa', 'PP', 'sil']],
    ['Café', ['sil', 'kk', 'aa', 'FF', 'E', 'sil']],
    ["don't", ['sil', 'DD', 'O', 'nn', 'DD', 'sil']],
    ['7', ['sil', 'SS', 'E', 'FF', 'E', 'nn', 'sil']],
  ])('%s → %j', (text, expected) => {
    expect(sequence(text)).toEqual(expected);
  });

  it('skips digits when asked not to spell them', () => {
    expect(sequence('7', { spellDigits: false })).toEqual(['sil']);
  });

  it('gives an empty or unreadable text a single silence', () => {
    for (const text of ['', '   ', '…', 'Привет']) {
      const timeline = textToVisemes(text);
      expect(timeline.cues.map((cue) => cue.viseme)).toEqual(['sil']);
      expect(timeline.durationMs).toBeGreaterThan(0);
    }
  });

  it('starts and ends with sil, never repeats a viseme, and lays cues end to end', () => {
    const timeline = textToVisemes('The quick brown fox jumps over the lazy dog. Really? Yes — all of it, twice!');
    expect(timeline.cues[0]?.viseme).toBe('sil');
    expect(timeline.cues.at(-1)?.viseme).toBe('sil');
    timeline.cues.forEach((cue, i) => expect(cue.viseme).not.toBe(timeline.cues[i + 1]?.viseme));
    for (const cue of timeline.cues) {
      expect(cue.weight).toBeGreaterThan(0);
      expect(cue.weight).toBeLessThanOrEqual(1);
    }
    expectContiguous(timeline);
  });

  it('holds vowels longer than consonants, and punctuation longer than a word gap', () => {
    const cues = textToVisemes('papa, sip').cues;
    const byViseme = (v: string) => cues.filter((cue) => cue.viseme === v).map((cue) => cue.durationMs);
    expect(Math.min(...byViseme('aa'))).toBeGreaterThan(Math.max(...byViseme('PP')));
    const gaps = cues.slice(1, -1).filter((cue) => cue.viseme === 'sil');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.durationMs).toBeGreaterThanOrEqual(200);
    const wordGap = textToVisemes('papa sip')
      .cues.slice(1, -1)
      .filter((cue) => cue.viseme === 'sil');
    expect(wordGap).toHaveLength(1);
    expect(wordGap[0]!.durationMs).toBeLessThan(120);
  });

  it('grows with the text', () => {
    const short = textToVisemes('Hello').durationMs;
    const longer = textToVisemes('Hello there').durationMs;
    const longest = textToVisemes('Hello there, how are you today?').durationMs;
    expect(longer).toBeGreaterThan(short);
    expect(longest).toBeGreaterThan(longer);
  });

  it('speaks faster at a higher rate, and clamps absurd rates', () => {
    const text = 'Shall I book the meeting with your sister?';
    const normal = textToVisemes(text).durationMs;
    const fast = textToVisemes(text, { wordsPerMinute: 330 }).durationMs;
    expect(fast).toBeLessThan(normal);
    expect(fast / normal).toBeCloseTo(0.5, 1);
    expect(textToVisemes(text, { wordsPerMinute: 10_000 }).durationMs).toBe(textToVisemes(text, { wordsPerMinute: 400 }).durationMs);
    expect(textToVisemes(text, { wordsPerMinute: Number.NaN }).durationMs).toBeGreaterThan(0);
  });

  it('reads ordinary prose at about the default 165 words a minute', () => {
    const prose =
      'I have looked at the calendar for next week and there is a free slot on Tuesday afternoon. Shall I book the meeting with your sister then, ' +
      'or would you rather wait until she answers your message? Speech is produced by a complex coordination of the lips, the tongue and the jaw.';
    const words = prose.split(/\s+/).length;
    const wpm = words / (textToVisemes(prose).durationMs / 60_000);
    expect(wpm).toBeGreaterThan(145);
    expect(wpm).toBeLessThan(185);
  });
});

describe('wordToVisemes', () => {
  it('keeps a final e after a consonant silent only when the word has another vowel', () => {
    expect(wordToVisemes('make')).toEqual(['PP', 'aa', 'kk']);
    expect(wordToVisemes('there')).toEqual(['TH', 'E', 'RR']);
    expect(wordToVisemes('he')).toEqual(['E']);
    expect(wordToVisemes('free')).toEqual(['FF', 'RR', 'I']);
  });
});

describe('withAmplitude', () => {
  const timeline = textToVisemes('mama');

  it('stretches the timeline to the audio duration', () => {
    const audio = { sampleRateHz: 100, envelope: new Array<number>(200).fill(1) }; // 2 s
    const fitted = withAmplitude(timeline, audio);
    expect(fitted.durationMs).toBeCloseTo(2000, 6);
    expectContiguous(fitted);
    const stretch = 2000 / timeline.durationMs;
    fitted.cues.forEach((cue, i) => {
      expect(cue.viseme).toBe(timeline.cues[i]!.viseme);
      expect(cue.durationMs).toBeCloseTo(timeline.cues[i]!.durationMs * stretch, 6);
    });
  });

  it("scales each cue's weight by the envelope's level there, relative to its peak", () => {
    // Loud first half (peak 0.5), half as loud after.
    const envelope = Array.from({ length: 100 }, (_, i) => (i < 50 ? 0.5 : 0.25));
    const fitted = withAmplitude(timeline, { sampleRateHz: 50, envelope });
    const firstA = fitted.cues.find((cue) => cue.viseme === 'aa')!;
    const lastA = fitted.cues.filter((cue) => cue.viseme === 'aa').at(-1)!;
    expect(firstA.startMs + firstA.durationMs).toBeLessThanOrEqual(1000);
    expect(firstA.weight).toBeCloseTo(1, 6); // at the peak: the cue's own weight
    expect(lastA.startMs).toBeGreaterThanOrEqual(1000);
    expect(lastA.weight).toBeCloseTo(0.5, 6);
  });

  it('turns cues over silence into sil, merged with their neighbours', () => {
    // Silent after the first 40 %: the second syllable lies over silence.
    const envelope = Array.from({ length: 100 }, (_, i) => (i < 40 ? 0.8 : 0));
    const fitted = withAmplitude(timeline, { sampleRateHz: 100, envelope });
    expect(fitted.cues.map((cue) => cue.viseme)).toEqual(['sil', 'PP', 'aa', 'sil']);
    expect(fitted.cues.at(-1)!.weight).toBe(1);
    expectContiguous(fitted);
  });

  it('leaves the timeline alone without audio', () => {
    expect(withAmplitude(timeline, { sampleRateHz: 100, envelope: [] })).toBe(timeline);
  });

  it('turns an all-silent recording into one sil', () => {
    expect(withAmplitude(timeline, { sampleRateHz: 10, envelope: [0, 0, 0] }).cues).toEqual([{ viseme: 'sil', startMs: 0, durationMs: 300, weight: 1 }]);
  });
});
