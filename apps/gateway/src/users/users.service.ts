// User administration: create, change, delete, with the rules that go with it. Passwords are hashed (Argon2id, in
// the gateway's bounded hashing queue) and never stored or returned in the clear; disabling or deleting a user,
// changing their role or password, ends their sessions. The last enabled administrator cannot be demoted, disabled
// or deleted (409 LAST_ADMIN), by anyone, themselves included: nobody could administer the installation afterwards.
// Changes run one at a time, so two administrators demoting each other at once cannot both succeed.
import { Injectable } from '@nestjs/common';
import { RecordKind, type User } from '@aico/contracts';
import { StorageClient } from '@aico/storage-client';
import { AuthService, userIdOf } from '../auth/auth.service';
import { KeyedMutex } from '@aico/concurrency';
import { PasswordHashQueue } from '../auth/password-hash-queue';
import { ApiError, notFound } from '../http/api-error';
import { username as usernameSchema } from '../http/schemas';

export interface NewUser {
  readonly username: string;
  readonly password: string;
  readonly role: string;
  readonly displayName?: string | undefined;
}

export interface UserChange {
  readonly role?: string | undefined;
  readonly disabled?: boolean | undefined;
  readonly displayName?: string | undefined;
  readonly password?: string | undefined;
}

const ADMIN = 'admin';
const isEnabledAdmin = (user: User) => user.role === ADMIN && !user.disabled;

@Injectable()
export class UsersService {
  private readonly changes = new KeyedMutex();

  constructor(
    private readonly storage: StorageClient,
    private readonly auth: AuthService,
    private readonly hashing: PasswordHashQueue,
  ) {}

  async list(): Promise<User[]> {
    const users: User[] = [];
    for await (const record of this.storage.allRecords(RecordKind.USER)) if (record.kind.case === 'user') users.push(record.kind.value);
    return users;
  }

  async create(input: NewUser): Promise<User> {
    const id = userIdOf(input.username);
    if (await this.get(id)) throw new ApiError(409, 'USER_EXISTS', `A user "${input.username}" exists already.`);
    const passwordHash = await this.hashing.hash(input.password);
    return this.serialized(async () => {
      if ((await this.storage.getRecord(RecordKind.USER, id)).found) throw new ApiError(409, 'USER_EXISTS', `A user "${input.username}" exists already.`);
      await this.storage.putRecord({
        kind: { case: 'user', value: { id, username: input.username, displayName: input.displayName ?? '', role: input.role, passwordHash, disabled: false } },
      });
      return (await this.get(id))!;
    });
  }

  async update(id: string, change: UserChange): Promise<User> {
    // Hashed before the lock: a slow hash must not hold up other changes.
    const passwordHash = change.password ? await this.hashing.hash(change.password) : undefined;
    return this.serialized(async () => {
      const user = await this.require(id);
      const next: User = {
        ...user,
        ...(change.role ? { role: change.role } : {}),
        ...(change.disabled !== undefined ? { disabled: change.disabled } : {}),
        ...(change.displayName !== undefined ? { displayName: change.displayName } : {}),
        ...(passwordHash ? { passwordHash } : {}),
      };
      await this.assertAnAdminRemains(user, next);
      await this.storage.putRecord({ kind: { case: 'user', value: next } });
      if (passwordHash || change.disabled || next.role !== user.role) await this.auth.revokeAllSessions(user.id);
      return next;
    });
  }

  async remove(id: string): Promise<void> {
    await this.serialized(async () => {
      const user = await this.require(id);
      await this.assertAnAdminRemains(user, undefined);
      await this.auth.revokeAllSessions(user.id);
      await this.storage.deleteRecord(RecordKind.USER, user.id);
    });
  }

  /** Refuses a change that would leave no enabled administrator (`next` undefined: the user is deleted). */
  private async assertAnAdminRemains(user: User, next: User | undefined): Promise<void> {
    if (!isEnabledAdmin(user) || (next && isEnabledAdmin(next))) return;
    for (const other of await this.list()) if (other.id !== user.id && isEnabledAdmin(other)) return;
    throw new ApiError(
      409,
      'LAST_ADMIN',
      `"${user.username}" is the last enabled administrator and cannot be ${next ? (next.disabled ? 'disabled' : 'demoted') : 'deleted'}: make another user an administrator first.`,
    );
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    return this.changes.run('users', task);
  }

  private async get(id: string): Promise<User | undefined> {
    const found = await this.storage.getRecord(RecordKind.USER, id);
    return found.record?.kind.case === 'user' ? found.record.kind.value : undefined;
  }

  private async require(id: string): Promise<User> {
    if (!usernameSchema.safeParse(id).success) throw notFound(`No user "${id}".`);
    const user = await this.get(userIdOf(id));
    if (!user) throw notFound(`No user "${id}".`);
    return user;
  }
}
