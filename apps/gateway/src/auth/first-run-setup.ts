// The first run: while no user exists, the person at this machine (a loopback address: the browser on the machine
// that runs aico) creates the first administrator in the browser instead of `aico users add`. Never again once a
// user exists (409 AUTH_SETUP_DONE), never from another address (403 AUTH_SETUP_LOCAL_ONLY). Two setups at once make
// one admin: they run one at a time here, and a compare-and-set claim in storage settles it across processes (a
// second gateway, or `aico users add` racing the browser, finds the claim or the user).
import { Injectable } from '@nestjs/common';
import { RecordKind, StorageErrorCode, type User } from '@aico/contracts';
import { StorageClient } from '@aico/storage-client';
import { ApiError } from '../http/api-error';
import { AuthService, userIdOf, type IssuedTokens } from './auth.service';
import { LOOPBACK_CLIENT, rateLimitClient } from './client-address';
import { KeyedMutex } from '@aico/concurrency';
import { PasswordHashQueue } from './password-hash-queue';

export const SETUP_CLAIM = { namespace: 'gateway', key: 'first-run-setup' } as const;

export interface FirstAdmin {
  readonly username: string;
  readonly password: string;
  readonly displayName?: string | undefined;
}

const done = () => new ApiError(409, 'AUTH_SETUP_DONE', 'aico is set up already: log in (an administrator adds more users).');

@Injectable()
export class FirstRunSetup {
  private readonly turns = new KeyedMutex();
  /** Once a user was seen, setup is over for good (the last admin cannot be deleted): no more storage reads. */
  private finished = false;

  constructor(
    private readonly storage: StorageClient,
    private readonly auth: AuthService,
    private readonly hashing: PasswordHashQueue,
  ) {}

  /** Whether no user exists yet. */
  async needed(): Promise<boolean> {
    if (this.finished) return false;
    const anyUser = await this.anyUser();
    if (anyUser) this.finished = true;
    return !anyUser;
  }

  /** Creates the first admin and logs them in; `remoteAddress` is the TCP peer (never a forwarded-for header). */
  async createFirstAdmin(input: FirstAdmin, remoteAddress: string | undefined): Promise<IssuedTokens> {
    if (rateLimitClient(remoteAddress) !== LOOPBACK_CLIENT) {
      throw new ApiError(
        403,
        'AUTH_SETUP_LOCAL_ONLY',
        'The first administrator can only be created in a browser on the machine that runs aico (or with "aico users add" there).',
      );
    }
    if (!(await this.needed())) throw done();
    // Hashed before taking the turn: a slow hash must not hold up the other caller's answer.
    const passwordHash = await this.hashing.hash(input.password);
    return this.turns.run('setup', async () => {
      if (!(await this.needed())) throw done();
      try {
        await this.storage.putState(SETUP_CLAIM.namespace, SETUP_CLAIM.key, Buffer.from(userIdOf(input.username)), { expectedVersion: 0n });
      } catch (error) {
        if ((error as { code?: string }).code === StorageErrorCode.VersionConflict) throw done();
        throw error;
      }
      const user: User = {
        id: userIdOf(input.username),
        username: input.username,
        displayName: input.displayName ?? '',
        role: 'admin',
        passwordHash,
        disabled: false,
      } as User;
      try {
        await this.storage.putRecord({ kind: { case: 'user', value: user } });
      } catch (error) {
        // Nobody was made: give the claim back so the person can try again.
        await this.storage.deleteState(SETUP_CLAIM.namespace, SETUP_CLAIM.key).catch(() => undefined);
        throw error;
      }
      this.finished = true;
      return this.auth.openSession(user, 'setup');
    });
  }

  private async anyUser(): Promise<boolean> {
    for await (const record of this.storage.allRecords(RecordKind.USER, '', 1)) if (record.kind.case === 'user') return true;
    return false;
  }
}
