import { PullTracker } from './pull-tracker';

describe('PullTracker (a pull shown from its start to its end)', () => {
  it('keeps progress and the end that arrive before the POST answer (a fast pull), and shows them once the id is known', () => {
    const tracker = new PullTracker();
    tracker.progress({ pullId: 'p1', phase: 'downloading', doneBytes: '10', totalBytes: '20' });
    tracker.completed({ pullId: 'p1', model: { id: 'pulled' } });
    expect(tracker.current).toEqual([]);
    const [pull] = tracker.started('p1', 'http://127.0.0.1/models/pulled.gguf');
    expect(pull).toMatchObject({ pullId: 'p1', done: true, model: { id: 'pulled' }, progress: { phase: 'done', doneBytes: '10' } });
  });

  it('follows a pull started first, and shows a failure with its message', () => {
    const tracker = new PullTracker();
    tracker.started('p1', 'a');
    tracker.started('p2', 'b');
    tracker.progress({ pullId: 'p1', phase: 'downloading', doneBytes: '5' });
    tracker.completed({ pullId: 'p2', error: { code: 'MODELS_CHECKSUM_MISMATCH', message: 'The file does not match its SHA-256.' } });
    expect(tracker.current.map(({ pullId, done, error, progress }) => ({ pullId, done, error, phase: progress?.phase }))).toEqual([
      { pullId: 'p1', done: false, error: undefined, phase: 'downloading' },
      { pullId: 'p2', done: true, error: 'The file does not match its SHA-256.', phase: undefined },
    ]);
  });

  it('a progress frame after the end changes nothing', () => {
    const tracker = new PullTracker();
    tracker.started('p1', 'a');
    tracker.completed({ pullId: 'p1', model: { id: 'm' } });
    tracker.progress({ pullId: 'p1', phase: 'verifying' });
    expect(tracker.current[0]?.progress?.phase).toBe('done');
  });
});
