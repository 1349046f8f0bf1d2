// Shared pieces of the gateway's auth and user unit tests: an in-memory stand-in for storage with the same
// compare-and-set rule (each call yields to the event loop first, so concurrent callers interleave as they do over
// the bus), a clock tests step by hand, a password hasher whose checks a test releases by hand, and
// `newAuthTestService()` wiring the real AuthService to them.
import { randomBytes } from 'node:crypto';
import { RecordKind, StorageErrorCode, type Record as StoredRecord, type Session, type User } from '@aico/contracts';
import { captureLogger, type CapturedLog } from '@aico/logging';
import { KeyRing } from '@aico/keys';
import type { StorageClient } from '@aico/storage-client';
import { gatewayConfigSchema, type GatewayConfig } from '../gateway.config';
import { AccountRateLimiter } from './account-rate-limit';
import { AuthService } from './auth.service';
import type { Clock } from './clock';
import { LoginLockout } from './login-lockout';
import { PasswordHashQueue, type PasswordHasher } from './password-hash-queue';
import { TokenService } from './token.service';

const KIND_CASE: Partial<Record<RecordKind, 'user' | 'session'>> = { [RecordKind.USER]: 'user', [RecordKind.SESSION]: 'session' };
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export class VersionConflict extends Error {
  readonly code = StorageErrorCode.VersionConflict;
}

/** Users, sessions and key/value state as storage keeps them, for the calls the gateway makes. */
export class InMemoryStorage {
  readonly state = new Map<string, { value: Uint8Array; version: bigint }>();
  readonly users = new Map<string, User>();
  readonly sessions = new Map<string, Session>();
  /** Every state write, for tests that count them. */
  readonly stateWrites: string[] = [];

  async getState(namespace: string, key: string) {
    await tick();
    const entry = this.state.get(`${namespace}/${key}`);
    return entry ? { found: true, entry: { namespace, key, value: entry.value, version: entry.version } } : { found: false };
  }

  async putState(namespace: string, key: string, value: Uint8Array, options: { expectedVersion?: bigint } = {}) {
    await tick();
    const current = this.state.get(`${namespace}/${key}`);
    if (options.expectedVersion !== undefined && options.expectedVersion !== (current?.version ?? 0n)) throw new VersionConflict('version conflict');
    const version = (current?.version ?? 0n) + 1n;
    this.state.set(`${namespace}/${key}`, { value, version });
    this.stateWrites.push(`${namespace}/${key}`);
    return { version };
  }

  async deleteState(namespace: string, key: string) {
    await tick();
    return { deleted: this.state.delete(`${namespace}/${key}`) };
  }

  async getRecord(kind: RecordKind, id: string) {
    await tick();
    const record = this.record(kind, id);
    return record ? { found: true, record } : { found: false };
  }

  async putRecord(record: StoredRecord | { kind: StoredRecord['kind'] }) {
    await tick();
    if (record.kind.case === 'user') this.users.set(record.kind.value.id, { ...record.kind.value });
    else if (record.kind.case === 'session') this.sessions.set(record.kind.value.id, { ...record.kind.value });
    else throw new Error(`the in-memory storage keeps users and sessions, not ${record.kind.case}`);
    return {};
  }

  async deleteRecord(kind: RecordKind, id: string) {
    await tick();
    const map = KIND_CASE[kind] === 'user' ? this.users : this.sessions;
    return { deleted: map.delete(id) };
  }

  async *allRecords(kind: RecordKind, parent = ''): AsyncGenerator<StoredRecord> {
    await tick();
    if (KIND_CASE[kind] === 'user')
      for (const user of [...this.users.values()].sort((a, b) => a.id.localeCompare(b.id))) yield { kind: { case: 'user', value: user } } as StoredRecord;
    if (KIND_CASE[kind] === 'session') {
      for (const session of this.sessions.values())
        if (!parent || session.userId === parent) yield { kind: { case: 'session', value: session } } as StoredRecord;
    }
  }

  private record(kind: RecordKind, id: string): StoredRecord | undefined {
    if (KIND_CASE[kind] === 'user') {
      const user = this.users.get(id);
      return user ? ({ kind: { case: 'user', value: user } } as StoredRecord) : undefined;
    }
    const session = this.sessions.get(id);
    return session ? ({ kind: { case: 'session', value: session } } as StoredRecord) : undefined;
  }
}

export class ManualClock implements Clock {
  constructor(private nowMs = 1_800_000_000_000) {}
  now(): number {
    return this.nowMs;
  }
  advance(ms: number): number {
    this.nowMs += ms;
    return this.nowMs;
  }
}

/**
 * A hasher that "hashes" as `hash:<password>` and whose checks wait until the test releases them (`hold`), so a
 * test can see how many run at once and how many were asked for at all.
 */
export class ControllableHasher implements PasswordHasher {
  /** Passwords whose check was started, in order. */
  readonly checked: string[] = [];
  private held = false;
  private readonly waiting: (() => void)[] = [];

  hold(): void {
    this.held = true;
  }

  /** Lets every waiting check finish, and later ones run at once. */
  releaseAll(): void {
    this.held = false;
    for (const release of this.waiting.splice(0)) release();
  }

  get running(): number {
    return this.waiting.length;
  }

  async hash(password: string): Promise<string> {
    await this.gate();
    return `hash:${password}`;
  }

  async verify(storedHash: string, password: string): Promise<boolean> {
    this.checked.push(password);
    await this.gate();
    return storedHash === `hash:${password}`;
  }

  decoy(): Promise<string> {
    return Promise.resolve('hash:decoy-never-matches\u0000');
  }

  private gate(): Promise<void> {
    return this.held ? new Promise((resolve) => this.waiting.push(resolve)) : Promise.resolve();
  }
}

export interface AuthTestService {
  readonly sut: AuthService;
  readonly storage: InMemoryStorage;
  readonly clock: ManualClock;
  readonly hasher: ControllableHasher;
  readonly hashing: PasswordHashQueue;
  readonly tokens: TokenService;
  readonly keys: KeyRing;
  readonly config: GatewayConfig;
  readonly logs: CapturedLog[];
  /** Puts a user in storage with the hasher's hash of `password`. */
  addUser(id: string, password: string, role?: string, disabled?: boolean): void;
}

export function newAuthTestService(gateway: Partial<GatewayConfig['gateway']> = {}): AuthTestService {
  const config = gatewayConfigSchema.parse({ dataDir: '/nonexistent/aico-test', gateway });
  const storage = new InMemoryStorage();
  const clock = new ManualClock();
  const hasher = new ControllableHasher();
  const hashing = new PasswordHashQueue({ concurrency: config.gateway.passwordHashConcurrency, maxWaiting: config.gateway.passwordHashQueueLimit }, hasher);
  const keys = new KeyRing(randomBytes(32), 'unit test');
  // The bus is only used at bootstrap (key rotations), which these tests do not run.
  const tokens = new TokenService(config, keys);
  const { logger, lines } = captureLogger('gateway');
  // The in-memory storage answers the calls AuthService makes, in the shapes it reads.
  const client = storage as unknown as StorageClient;
  const lockout = new LoginLockout(
    client,
    { freeAttempts: config.gateway.lockoutFreeAttempts, baseDelayMs: config.gateway.lockoutBaseDelayMs, maxDelayMs: config.gateway.lockoutMaxDelayMs },
    clock,
  );
  const accountLimit = new AccountRateLimiter({ limit: config.gateway.loginRateLimitPerAccount, windowMs: config.gateway.rateLimitWindowMs }, clock);
  const sut = new AuthService(config, logger, client, tokens, lockout, accountLimit, hashing, clock);
  const addUser = (id: string, password: string, role = 'user', disabled = false) =>
    void storage.users.set(id, { id, username: id, displayName: '', role, passwordHash: `hash:${password}`, disabled } as User);
  return { sut, storage, clock, hasher, hashing, tokens, keys, config, logs: lines, addUser };
}
