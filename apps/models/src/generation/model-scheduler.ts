// Who runs on the model, and which model is in memory. Work (a generation, an embedding) waits here in arrival
// order for one of the resident model's slots (its context sequences). One model is resident: when the first
// waiting work needs another model, nothing more starts on the current one; once its running work has ended it is
// unloaded ("replaced") and the other is loaded — strict arrival order, so no request waits forever behind a stream
// of requests for the resident model. The model is unloaded after the keep-alive when nothing uses it (shorter on
// battery), and at once when resources turn critical: running work is told to stop (its slot's `evicted` signal),
// waiting work stays queued until resources recover, and the model loads again on demand.
import type { Logger } from '@aico/logging';
import { ModelsError, ModelsErrorCode } from '../models.error';
import type { LlamaEngine, ResidentModel } from '../engine/llama-engine';
import type { ResolvedModel } from '../engine/model-resolver';

/** Where waiting work stands: the stage, its 1-based place in the queue (0 when not queued), and why. */
export interface WaitingState {
  readonly stage: 'queued' | 'loading' | 'admission';
  readonly position: number;
  readonly reason: string;
}

export interface SlotRequest {
  readonly model: ResolvedModel;
  /** Order among waiting work (lower first); work that comes back after a pause keeps its first place. */
  readonly order: number;
  /** Told whenever the work's place, stage or reason changes. */
  readonly onWaiting: (state: WaitingState) => void;
  /** Giving up (cancel, deadline): the acquire rejects with the signal's reason. */
  readonly signal: AbortSignal;
}

/** One of the resident model's slots, held until released. */
export interface Slot {
  readonly resident: ResidentModel;
  /** Aborts (with the reason) when the model must leave memory now: stop at once, then release. */
  readonly evicted: AbortSignal;
  release(): void;
}

export type UnloadReason = 'keep-alive' | 'critical' | 'replaced' | 'removed' | 'stopping';

export interface SchedulerEvents {
  loaded(resident: ResidentModel): void;
  unloaded(name: string, reason: UnloadReason): void;
}

export interface SchedulerSettings {
  readonly keepAliveMs: number;
  readonly keepAliveOnBatteryMs: number;
}

interface Waiting {
  readonly request: SlotRequest;
  readonly resolve: (slot: Slot) => void;
  readonly reject: (error: unknown) => void;
  readonly onAbort: () => void;
  last: string;
}

interface Running {
  readonly evict: AbortController;
}

const sameModel = (a: ResolvedModel, b: ResolvedModel): boolean => a.name === b.name && a.absolutePath === b.absolutePath;

export class ModelScheduler {
  private waiting: Waiting[] = [];
  private readonly running = new Set<Running>();
  /** A load or unload in progress: nothing else is decided until it ends. */
  private transition: Promise<void> | undefined;
  private loadingModel: ResolvedModel | undefined;
  private critical: string | undefined;
  private onBattery = false;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private idleSince: number | undefined;
  private lastUnload = '';
  private closed = false;

  constructor(
    private readonly engine: LlamaEngine,
    private readonly settings: SchedulerSettings,
    private readonly events: SchedulerEvents,
    private readonly logger: Logger,
  ) {}

  /** Waits for a slot on `request.model`, loading it when needed; rejects with a load failure or the abort reason. */
  acquire(request: SlotRequest): Promise<Slot> {
    if (this.closed) return Promise.reject(new ModelsError(ModelsErrorCode.BackendUnavailable, 'The models service is stopping; try again when it is back.'));
    if (request.signal.aborted) return Promise.reject(request.signal.reason);
    return new Promise<Slot>((resolve, reject) => {
      const entry: Waiting = {
        request,
        resolve,
        reject,
        onAbort: () => {
          if (!this.waiting.includes(entry)) return;
          this.waiting = this.waiting.filter((other) => other !== entry);
          reject(request.signal.reason);
          this.pump();
        },
        last: '',
      };
      request.signal.addEventListener('abort', entry.onAbort, { once: true });
      const at = this.waiting.findIndex((other) => other.request.order > request.order);
      if (at === -1) this.waiting.push(entry);
      else this.waiting.splice(at, 0, entry);
      this.pump();
    });
  }

  /** Resources turned critical (a reason) or recovered (undefined). */
  setCritical(reason: string | undefined): void {
    const was = this.critical;
    this.critical = reason;
    if (reason !== undefined && was === undefined) {
      for (const run of this.running) run.evict.abort(new ModelsError(ModelsErrorCode.BackendUnavailable, `resources are critical: ${reason}`));
    }
    this.pump();
  }

  setOnBattery(onBattery: boolean): void {
    if (onBattery === this.onBattery) return;
    this.onBattery = onBattery;
    // The keep-alive counts from when the model fell idle, with the limit that applies now.
    if (this.keepAliveTimer) {
      this.disarmKeepAlive(false);
      this.armKeepAlive();
    }
  }

  /** Unloads now (the model was removed, or the service stops), once running work on it has ended. */
  async unloadNow(reason: UnloadReason, name?: string): Promise<void> {
    if (reason === 'stopping') this.closed = true;
    const resident = this.engine.resident;
    if (!resident || (name !== undefined && resident.model.name !== name)) return;
    for (const run of this.running) run.evict.abort(new ModelsError(ModelsErrorCode.BackendUnavailable, `the model is being unloaded (${reason})`));
    while (this.transition || this.running.size > 0) {
      await (this.transition ?? new Promise<void>((resolve) => this.whenIdle.push(resolve)));
    }
    if (this.engine.resident) await this.startUnload(reason);
  }

  status(): { running: number; waiting: number; unloadAtMs: number | undefined; lastUnloadReason: string; loading: string | undefined } {
    return {
      running: this.running.size,
      waiting: this.waiting.length,
      unloadAtMs: this.keepAliveTimer && this.idleSince !== undefined ? this.idleSince + this.keepAliveMs() : undefined,
      lastUnloadReason: this.lastUnload,
      loading: this.loadingModel?.name,
    };
  }

  get runningCount(): number {
    return this.running.size;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  private whenIdle: (() => void)[] = [];

  private pump(): void {
    if (this.running.size === 0) for (const resolve of this.whenIdle.splice(0)) resolve();
    if (this.transition || this.closed) {
      this.report();
      return;
    }
    const resident = this.engine.resident;
    if (this.critical !== undefined) {
      this.disarmKeepAlive();
      if (resident && this.running.size === 0) void this.startUnload('critical');
      this.report();
      return;
    }
    if (this.waiting.length === 0) {
      this.armKeepAlive();
      this.report();
      return;
    }
    this.disarmKeepAlive();
    if (resident) {
      while (this.waiting[0] && sameModel(this.waiting[0].request.model, resident.model) && this.running.size < resident.sequences)
        this.grant(this.waiting.shift()!, resident);
      if (this.waiting[0] && !sameModel(this.waiting[0].request.model, resident.model) && this.running.size === 0) void this.startUnload('replaced');
      else if (this.waiting.length === 0) this.armKeepAlive();
      this.report();
      return;
    }
    void this.startLoad(this.waiting[0]!.request.model);
    this.report();
  }

  private grant(entry: Waiting, resident: ResidentModel): void {
    entry.request.signal.removeEventListener('abort', entry.onAbort);
    const run: Running = { evict: new AbortController() };
    this.running.add(run);
    let released = false;
    entry.resolve({
      resident,
      evicted: run.evict.signal,
      release: () => {
        if (released) return;
        released = true;
        this.running.delete(run);
        this.pump();
      },
    });
  }

  private startLoad(model: ResolvedModel): Promise<void> {
    this.loadingModel = model;
    this.transition = (async () => {
      try {
        const resident = await this.engine.load(model);
        this.logger.info(
          {
            model: model.name,
            loadMs: resident.loadMs,
            contextSize: resident.contextSize,
            sequences: resident.sequences,
            threads: resident.threads,
            gpu: resident.gpu,
            estimatedBytes: resident.estimatedBytes,
            rssGrowthBytes: resident.rssGrowthBytes,
          },
          'Model loaded',
        );
        this.events.loaded(resident);
      } catch (error) {
        // Everyone waiting for this model gets the same answer (loading it again at once would fail the same way).
        const failed = this.waiting.filter((entry) => sameModel(entry.request.model, model));
        this.waiting = this.waiting.filter((entry) => !failed.includes(entry));
        for (const entry of failed) {
          entry.request.signal.removeEventListener('abort', entry.onAbort);
          entry.reject(error);
        }
      } finally {
        this.loadingModel = undefined;
        this.transition = undefined;
      }
    })();
    const done = this.transition;
    void done.then(() => this.pump());
    return done;
  }

  private startUnload(reason: UnloadReason): Promise<void> {
    this.disarmKeepAlive();
    this.transition = (async () => {
      try {
        const gone = await this.engine.unload();
        if (gone) {
          this.lastUnload = reason;
          this.logger.info({ model: gone.model.name, reason }, 'Model unloaded');
          this.events.unloaded(gone.model.name, reason);
        }
      } finally {
        this.transition = undefined;
      }
    })();
    const done = this.transition;
    void done.then(() => this.pump());
    return done;
  }

  private keepAliveMs(): number {
    return this.onBattery ? Math.min(this.settings.keepAliveOnBatteryMs, this.settings.keepAliveMs) : this.settings.keepAliveMs;
  }

  private armKeepAlive(): void {
    if (this.keepAliveTimer || !this.engine.resident || this.running.size > 0 || this.transition) return;
    this.idleSince ??= Date.now();
    const left = Math.max(0, this.idleSince + this.keepAliveMs() - Date.now());
    this.keepAliveTimer = setTimeout(() => {
      this.keepAliveTimer = undefined;
      if (this.engine.resident && this.running.size === 0 && this.waiting.length === 0 && !this.transition) void this.startUnload('keep-alive');
    }, left);
    this.keepAliveTimer.unref();
  }

  /** `forget`: the model is in use again, so the idle time starts over next time. */
  private disarmKeepAlive(forget = true): void {
    if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
    if (forget) this.idleSince = undefined;
  }

  /** Tells each waiting work where it stands, when that changed. */
  private report(): void {
    const resident = this.engine.resident;
    this.waiting.forEach((entry, index) => {
      const state = this.stateOf(entry, index, resident);
      const key = `${state.stage}|${state.position}|${state.reason}`;
      if (key === entry.last) return;
      entry.last = key;
      try {
        entry.request.onWaiting(state);
      } catch (error) {
        this.logger.warn({ err: error }, 'A waiting-state listener failed');
      }
    });
  }

  private stateOf(entry: Waiting, index: number, resident: ResidentModel | undefined): WaitingState {
    const position = index + 1;
    const model = entry.request.model;
    if (this.critical !== undefined) return { stage: 'admission', position, reason: `resources are critical (${this.critical}); waiting for them to recover` };
    if (this.loadingModel && sameModel(this.loadingModel, model)) return { stage: 'loading', position, reason: `loading model ${model.name}` };
    if (resident && !sameModel(resident.model, model))
      return { stage: 'queued', position, reason: `model ${resident.model.name} is in use; ${model.name} loads when it is free` };
    const slots = resident?.sequences ?? 1;
    return { stage: 'queued', position, reason: `${this.running.size} of ${slots} generation slots in use` };
  }
}
