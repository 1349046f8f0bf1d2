// The avatar says a reply sentence by sentence as the service sends them (`ui.avatar.speak`), and its page cuts off
// whatever it is saying when a new `speak` comes: so the sentences wait here and go one after another, each when the
// one before has ended. Stop (`ui.avatar.stop`, or the Stop button) empties the queue and stops the avatar.
export interface Speaker {
  /** Says `text`; settles when the speech has ended (finished, interrupted, or refused). */
  speak(text: string, expression: string | undefined): Promise<void>;
  /** Stops the speech in progress (its `speak` then settles). */
  stop(): void;
}

interface Sentence {
  readonly text: string;
  readonly expression: string | undefined;
}

export class SpeechQueue {
  private readonly waiting: Sentence[] = [];
  private speaking = false;
  /** Bumped by clear(): a speech that ends after a clear does not start the sentences of before. */
  private generation = 0;

  constructor(private readonly speaker: Speaker) {}

  /** Sentences waiting (the one being said not counted). */
  get length(): number {
    return this.waiting.length;
  }

  get busy(): boolean {
    return this.speaking;
  }

  enqueue(text: string, expression?: string): void {
    const words = text.trim();
    if (!words) return;
    this.waiting.push({ text: words, expression });
    if (!this.speaking) void this.pump();
  }

  /** Forgets every waiting sentence and stops the avatar (whatever it is saying, queued here or not). */
  clear(): void {
    this.generation++;
    this.waiting.length = 0;
    this.speaker.stop();
    this.speaking = false;
  }

  private async pump(): Promise<void> {
    const generation = this.generation;
    this.speaking = true;
    for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
      try {
        await this.speaker.speak(next.text, next.expression);
      } catch {
        // A refused sentence (the avatar not ready, too long): the next one is still said.
      }
      if (generation !== this.generation) return;
    }
    this.speaking = false;
  }
}
