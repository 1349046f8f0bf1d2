import { SpeechQueue, type Speaker } from './speech-queue';

/** A speaker whose speeches end when the test says so. */
function scriptedSpeaker() {
  const said: string[] = [];
  const ends: (() => void)[] = [];
  let stops = 0;
  const speaker: Speaker = {
    speak: (text) => {
      said.push(text);
      return new Promise<void>((resolve) => ends.push(resolve));
    },
    stop: () => {
      stops++;
      ends.shift()?.();
    },
  };
  const endCurrent = async () => {
    ends.shift()?.();
    // let the queue's await continue
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { speaker, said, endCurrent, stops: () => stops };
}

describe('SpeechQueue (sentences one after another)', () => {
  it('says each sentence only after the one before has ended, never cutting it off', async () => {
    const { speaker, said, endCurrent } = scriptedSpeaker();
    const queue = new SpeechQueue(speaker);
    queue.enqueue('First sentence.');
    queue.enqueue('Second sentence.');
    queue.enqueue('Third.');
    expect(said).toEqual(['First sentence.']);
    expect(queue.length).toBe(2);
    await endCurrent();
    expect(said).toEqual(['First sentence.', 'Second sentence.']);
    await endCurrent();
    await endCurrent();
    expect(said).toEqual(['First sentence.', 'Second sentence.', 'Third.']);
    expect(queue.busy).toBe(false);
    queue.enqueue('Later.');
    expect(said.at(-1)).toBe('Later.');
  });

  it('stop empties the queue and stops the avatar; what comes next is said from the start', async () => {
    const { speaker, said, endCurrent, stops } = scriptedSpeaker();
    const queue = new SpeechQueue(speaker);
    queue.enqueue('One.');
    queue.enqueue('Two.');
    queue.enqueue('Three.');
    queue.clear();
    await new Promise((resolve) => setImmediate(resolve));
    expect(stops()).toBe(1);
    expect(queue.length).toBe(0);
    expect(said).toEqual(['One.']);
    queue.enqueue('New reply.');
    expect(said).toEqual(['One.', 'New reply.']);
    await endCurrent();
    expect(said).toEqual(['One.', 'New reply.']);
  });

  it('a sentence the avatar refuses does not stop the ones after it; blank text is not queued', async () => {
    const said: string[] = [];
    const queue = new SpeechQueue({
      speak: (text) => {
        said.push(text);
        return Promise.reject(new Error('NOT_READY'));
      },
      stop: () => undefined,
    });
    queue.enqueue('  ');
    queue.enqueue('A.');
    queue.enqueue('B.');
    await new Promise((resolve) => setImmediate(resolve));
    expect(said).toEqual(['A.', 'B.']);
  });
});
