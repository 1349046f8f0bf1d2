// The generations a models service is running or holding, whichever engine writes their text: each submitted to the
// monitor as a job (its answers mapped onto the generation), ended at its deadline, cancelled by its requester or an
// operator, ended when the service stops, and counted against models.maxWaiting.
import type { CancelGenerateRequest } from '@aico/contracts';
import type { JobListener, JobSpec, JobTicket, MonitorJobs } from '../admission/monitor-jobs';
import { ModelsError, ModelsErrorCode } from '../models.error';
import type { GenerateResultInit, GenerationControl } from './generation-control';

export class GenerationRegistry<G extends GenerationControl> {
  private readonly generations = new Map<string, G>();

  constructor(
    private readonly settings: { readonly maxWaiting: number; readonly deadlineMarginMs: number },
    private readonly jobs: MonitorJobs,
  ) {}

  values(): IterableIterator<G> {
    return this.generations.values();
  }

  /** Generations not running yet (waiting for admission, a slot, a model, or paused). */
  waiting(): number {
    return [...this.generations.values()].filter((generation) => generation.phase !== 'running' && generation.phase !== 'ended').length;
  }

  /** MODELS_BUSY when models.maxWaiting generations wait already (and, when the engine says, no slot is free). */
  refuseWhenBusy(slotFree: (waiting: number) => boolean = () => false): void {
    const waiting = this.waiting();
    if (waiting >= this.settings.maxWaiting && !slotFree(waiting)) {
      throw new ModelsError(
        ModelsErrorCode.Busy,
        `${waiting} generations are already waiting (at most ${this.settings.maxWaiting}); try again when some have finished.`,
        { waiting: String(waiting) },
      );
    }
  }

  /** Submits `owner` as a monitor job whose answers drive it. */
  submit(owner: G): Promise<JobTicket> {
    const spec: JobSpec = { id: owner.id, jobClass: owner.spec.jobClass, priority: owner.spec.priority, kind: 'llm.generate' };
    const listener: JobListener = {
      waiting: (position, reason) => owner.waiting(position, reason),
      admitted: () => owner.admittedNow(),
      paused: (reason) => owner.pause(reason),
      resumed: () => owner.resume(),
      cancelled: (reason) => owner.end({ kind: 'cancelled', reason: `the monitor cancelled its job: ${reason}` }),
    };
    return this.jobs.submit(spec, listener);
  }

  /** Runs `generation` to its result, ending it by its deadline (less the margin). */
  async run(generation: G, deadlineMs: number | undefined): Promise<GenerateResultInit> {
    generation.expireAt(deadlineMs, this.settings.deadlineMarginMs);
    this.generations.set(generation.id, generation);
    try {
      return await generation.run();
    } finally {
      this.generations.delete(generation.id);
    }
  }

  cancel(request: CancelGenerateRequest, source: string): { found: boolean } {
    const generation = this.generations.get(request.generationId);
    if (!generation) return { found: false };
    if (!generation.mayCancel(source)) {
      throw new ModelsError(
        ModelsErrorCode.InvalidArgument,
        `Generation ${request.generationId} was requested by ${generation.requester}; only it or an operator may cancel it.`,
      );
    }
    generation.end({ kind: 'cancelled', reason: `cancelled by ${source}${request.reason ? `: ${request.reason.slice(0, 200)}` : ''}` });
    return { found: true };
  }

  /** The service is stopping: every generation ends now with its text so far. */
  endAll(): void {
    for (const generation of this.generations.values()) generation.end({ kind: 'cancelled', reason: 'the models service is stopping' });
  }
}
