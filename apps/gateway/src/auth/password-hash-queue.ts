// Argon2id is memory-hard on purpose: every hash takes tens of MiB and a core for a while. A login flood must not be
// able to start thousands at once, so every password hash and check of the gateway runs through this queue: at most
// `concurrency` at a time (about the cores), at most `maxWaiting` waiting; beyond that the request is refused at once
// with 503 and Retry-After instead of queueing without bound.
import PQueue from 'p-queue';
import { decoyUserPasswordHash, hashUserPassword, verifyUserPassword } from '@aico/key-manager';
import { ApiError } from '../http/api-error';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(storedHash: string, password: string): Promise<boolean>;
  /** A hash to check against when the user does not exist, so that costs as much as a wrong password. */
  decoy(): Promise<string>;
}

export const argon2Hasher: PasswordHasher = { hash: hashUserPassword, verify: verifyUserPassword, decoy: decoyUserPasswordHash };

export interface PasswordHashQueueOptions {
  readonly concurrency: number;
  readonly maxWaiting: number;
}

export class PasswordHashQueue {
  private readonly queue: PQueue;
  private refusedCount = 0;

  constructor(
    private readonly options: PasswordHashQueueOptions,
    private readonly hasher: PasswordHasher = argon2Hasher,
  ) {
    this.queue = new PQueue({ concurrency: options.concurrency });
  }

  /** Hashes a new password (the password policy is checked first, by the hasher). */
  hash(password: string): Promise<string> {
    return this.run(() => this.hasher.hash(password));
  }

  /** Checks a password against a stored hash, or against the decoy when there is none. */
  verify(storedHash: string | undefined, password: string): Promise<boolean> {
    return this.run(async () => this.hasher.verify(storedHash ?? (await this.hasher.decoy()), password));
  }

  /** Hashes running and waiting, and requests refused so far. */
  get stats(): { running: number; waiting: number; refused: number } {
    return { running: this.queue.pending, waiting: this.queue.size, refused: this.refusedCount };
  }

  private run<T>(task: () => Promise<T>): Promise<T> {
    if (this.queue.pending >= this.options.concurrency && this.queue.size >= this.options.maxWaiting) {
      this.refusedCount++;
      return Promise.reject(new ApiError(503, 'SERVER_BUSY', 'Too many passwords are being checked right now; retry in a moment.', { retryAfterSeconds: 1 }));
    }
    return this.queue.add(() => task());
  }
}
