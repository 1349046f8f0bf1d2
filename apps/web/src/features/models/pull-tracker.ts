// The pulls started from the Models page and their progress. The gateway streams a pull's frames to the WebSocket as
// soon as it starts, so on a fast pull (a small file, a model server on this machine) its progress and even its end
// can arrive before the POST's answer has told the page the pull's id: such frames are kept until the pull is known,
// never dropped (dropped, the pull would show "starting" forever).
import type { CatalogModelJson } from '@aico/contracts';
import { pullError, type PullCompletedEvent, type PullProgressEvent } from '../../api/models-api';

export interface Pull {
  readonly pullId: string;
  readonly source: string;
  readonly progress?: PullProgressEvent | undefined;
  readonly error?: string | undefined;
  readonly model?: CatalogModelJson | undefined;
  readonly done: boolean;
}

type Early = Omit<Pull, 'pullId' | 'source'>;

export class PullTracker {
  private pulls: readonly Pull[] = [];
  /** Frames of pulls whose id the page does not know yet. */
  private readonly early = new Map<string, Early>();

  get current(): readonly Pull[] {
    return this.pulls;
  }

  /** The POST answered with the pull's id. */
  started(pullId: string, source: string): readonly Pull[] {
    const seen = this.early.get(pullId);
    this.early.delete(pullId);
    this.pulls = [...this.pulls, { pullId, source, done: false, ...seen }];
    return this.pulls;
  }

  progress(event: PullProgressEvent): readonly Pull[] {
    return this.change(event.pullId, (pull) => (pull.done ? pull : { ...pull, progress: event }));
  }

  completed(event: PullCompletedEvent): readonly Pull[] {
    const error = pullError(event);
    return this.change(event.pullId, (pull) =>
      error ? { ...pull, error, done: true } : { ...pull, done: true, model: event.model, progress: { ...pull.progress, phase: 'done' } },
    );
  }

  private change(pullId: string | undefined, apply: (pull: Early) => Early): readonly Pull[] {
    if (!pullId) return this.pulls;
    if (!this.pulls.some((pull) => pull.pullId === pullId)) {
      this.early.set(pullId, apply(this.early.get(pullId) ?? { done: false }));
      return this.pulls;
    }
    this.pulls = this.pulls.map((pull) => (pull.pullId === pullId ? { ...pull, ...apply(pull) } : pull));
    return this.pulls;
  }
}
