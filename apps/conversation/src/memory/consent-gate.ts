// Whether a user has granted `conversation.memory` now: asked of the gateway (`privacy.consent.check`, answered from
// storage's consent records), trusted for a short while, and forgotten at once when `privacy.consent.changed` says
// the user decided again. A check that gets no answer counts as no, for the same while (memory is never kept on a
// guess, and a gateway that does not answer does not hold every reply for the check's timeout).
import { MEMORY_CONSENT_PURPOSE } from '@aico/contracts';

/** The one question asked of the consent service (the bus in the app, a stand-in in unit tests). */
export type ConsentCheck = (userId: string, purpose: string) => Promise<boolean>;

export interface ConsentGateOptions {
  readonly cacheMs: number;
  readonly now?: () => number;
  /** Told when a check fails (no user text is involved; the caller logs it). */
  readonly onCheckFailed?: (error: unknown) => void;
}

export interface ConsentAnswer {
  readonly granted: boolean;
  /** false: the check got no answer (granted is then false, a guess on the safe side). */
  readonly answered: boolean;
}

export class ConsentGate {
  private readonly cache = new Map<string, ConsentAnswer & { readonly at: number }>();
  /** Bumped by every decision of a user, so an answer that was asked before it is not cached after it. */
  private readonly decisions = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly check: ConsentCheck,
    private readonly options: ConsentGateOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async granted(userId: string): Promise<boolean> {
    return (await this.answer(userId)).granted;
  }

  /** Whether it is granted, and whether that was answered or assumed (no answer counts as no). */
  async answer(userId: string): Promise<ConsentAnswer> {
    const cached = this.cache.get(userId);
    if (cached && this.now() - cached.at < this.options.cacheMs) return { granted: cached.granted, answered: cached.answered };
    const decision = this.decisions.get(userId) ?? 0;
    let answer: ConsentAnswer;
    try {
      answer = { granted: await this.check(userId, MEMORY_CONSENT_PURPOSE), answered: true };
    } catch (error) {
      this.options.onCheckFailed?.(error);
      answer = { granted: false, answered: false };
    }
    if ((this.decisions.get(userId) ?? 0) === decision) this.cache.set(userId, { ...answer, at: this.now() });
    return answer;
  }

  /** The user decided (`privacy.consent.changed` for this purpose): the event's answer holds from now on. */
  decided(userId: string, granted: boolean): void {
    this.decisions.set(userId, (this.decisions.get(userId) ?? 0) + 1);
    this.cache.set(userId, { granted, answered: true, at: this.now() });
  }
}
