// The HTTP status of every error code a request through the gateway can fail with: each service's codes (from the
// contracts), the storage client's, and the bus's. A front end gets a status it can act on (400 fix the input, 403
// not yours, 404 gone, 409 wait or change the state, 503 retry, 507 free disk space) and never a bare 500 for a
// known failure. A code missing here is a type error (a Record over each enum); the few deliberate 500s are
// failures no client can act on, answered like an unknown error (INTERNAL, details only in the log).
import { BusErrorCode } from '@aico/bus';
import {
  ConversationErrorCode,
  JobsErrorCode,
  KeysErrorCode,
  ModelsErrorCode,
  SchedulerErrorCode,
  StorageClientErrorCode,
  StorageErrorCode,
} from '@aico/contracts';

export interface DomainErrorStatus {
  readonly status: number;
  /** The code the client sees instead of the domain's, for codes that mean the same to it (FORBIDDEN, NOT_FOUND). */
  readonly publicCode?: string;
  /** The message the client sees instead of the domain's (which may name paths or be written for operators). */
  readonly message?: string;
  /** Seconds a client should wait before retrying (sent as Retry-After). */
  readonly retryAfterSeconds?: number;
  /** Put the domain's code in `details.cause` (when a public code replaces it). */
  readonly withCause?: boolean;
}

const badInput: DomainErrorStatus = { status: 400 };
const forbidden: DomainErrorStatus = { status: 403, publicCode: 'FORBIDDEN' };
const notFound: DomainErrorStatus = { status: 404 };
const conflict: DomainErrorStatus = { status: 409 };
const retryLater: DomainErrorStatus = { status: 503, retryAfterSeconds: 5 };
/** Nobody answered (not running, not reachable, too slow, stopping, died mid-answer): the same for every service. */
const unavailable: DomainErrorStatus = {
  status: 503,
  publicCode: 'SERVICE_UNAVAILABLE',
  message: 'A service this request needs did not answer; retry shortly.',
  retryAfterSeconds: 5,
  withCause: true,
};
/** A failure no client can act on (the gateway's own mistake, a broken database or vault): the log has it. */
export const INTERNAL: DomainErrorStatus = {
  status: 500,
  publicCode: 'INTERNAL',
  message: 'The request failed inside the gateway; the log has the details under this request id.',
};

export const STORAGE_ERROR_STATUS: Readonly<Record<StorageErrorCode, DomainErrorStatus>> = {
  [StorageErrorCode.InvalidText]: badInput,
  [StorageErrorCode.InvalidArgument]: badInput,
  [StorageErrorCode.ValueTooLarge]: badInput,
  [StorageErrorCode.UnknownRecordKind]: badInput,
  [StorageErrorCode.NotPermitted]: forbidden,
  [StorageErrorCode.VersionConflict]: conflict,
  [StorageErrorCode.Conflict]: conflict,
  // A full disk is the one storage failure the person at the keyboard can fix; say so (storage's message names a path).
  [StorageErrorCode.DiskFull]: {
    status: 507,
    message: 'The disk holding the aico data is full, so nothing could be saved: free some space there, then retry ("aico status" shows the free space).',
  },
  // A file-size limit arrives as a write error, not as a full disk; the disk may also be failing.
  [StorageErrorCode.Io]: {
    status: 507,
    message:
      'The aico data could not be written: the disk may be full, a file-size limit reached, or the disk failing. Nothing was saved; free space or check the disk, then retry.',
  },
  [StorageErrorCode.ShuttingDown]: unavailable,
  [StorageErrorCode.Busy]: unavailable,
  // The database cannot be opened or used as it is (wrong key, a newer schema, a failed migration, an SQLite
  // failure), or a backup failed: an operator's matter ("aico doctor", the storage log), not a client's.
  [StorageErrorCode.WrongKey]: INTERNAL,
  [StorageErrorCode.DatabaseNewerThanCode]: INTERNAL,
  [StorageErrorCode.MigrationFailed]: INTERNAL,
  [StorageErrorCode.Database]: INTERNAL,
  [StorageErrorCode.BackupFailed]: INTERNAL,
  [StorageErrorCode.RestoreFailed]: INTERNAL,
};

export const STORAGE_CLIENT_ERROR_STATUS: Readonly<Record<StorageClientErrorCode, DomainErrorStatus>> = {
  [StorageClientErrorCode.NotAcknowledged]: unavailable,
};

export const KEYS_ERROR_STATUS: Readonly<Record<KeysErrorCode, DomainErrorStatus>> = {
  [KeysErrorCode.WeakPassword]: badInput,
  // Not 401: that status means "your session ended" to a front end, and this is a wrong answer to a question.
  [KeysErrorCode.WrongPassword]: badInput,
  [KeysErrorCode.InvalidPurpose]: badInput,
  [KeysErrorCode.SealedBoxInvalid]: badInput,
  [KeysErrorCode.TooManyAttempts]: { status: 429 },
  [KeysErrorCode.NotSetUp]: conflict,
  [KeysErrorCode.AlreadySetUp]: conflict,
  [KeysErrorCode.VaultMismatch]: conflict,
  [KeysErrorCode.KeychainUnavailable]: retryLater,
  [KeysErrorCode.VaultTampered]: INTERNAL,
  [KeysErrorCode.VaultUnsupported]: INTERNAL,
};

export const SCHEDULER_ERROR_STATUS: Readonly<Record<SchedulerErrorCode, DomainErrorStatus>> = {
  [SchedulerErrorCode.InvalidTask]: badInput,
  [SchedulerErrorCode.UnknownTask]: { status: 404, publicCode: 'NOT_FOUND' },
  [SchedulerErrorCode.NameTaken]: conflict,
  // A built-in task cannot be removed or replaced: the state of the task, not the input, refuses it.
  [SchedulerErrorCode.BuiltIn]: conflict,
  [SchedulerErrorCode.NotPermitted]: forbidden,
  [SchedulerErrorCode.NotReady]: { status: 503, publicCode: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5, withCause: true },
};

export const JOBS_ERROR_STATUS: Readonly<Record<JobsErrorCode, DomainErrorStatus>> = {
  [JobsErrorCode.InvalidArgument]: badInput,
  [JobsErrorCode.DuplicateId]: conflict,
  [JobsErrorCode.UnknownJob]: notFound,
  [JobsErrorCode.NotPermitted]: forbidden,
  [JobsErrorCode.NotRunning]: conflict,
  [JobsErrorCode.AlreadyFinished]: conflict,
  [JobsErrorCode.QueueFull]: retryLater,
};

export const CONVERSATION_ERROR_STATUS: Readonly<Record<ConversationErrorCode, DomainErrorStatus>> = {
  [ConversationErrorCode.InvalidArgument]: badInput,
  [ConversationErrorCode.EmptyMessage]: badInput,
  [ConversationErrorCode.MessageTooLong]: badInput,
  // Another user's thread answers the same as an unknown one.
  [ConversationErrorCode.ThreadNotFound]: notFound,
  [ConversationErrorCode.FactNotFound]: notFound,
  [ConversationErrorCode.ReplyInProgress]: conflict,
  [ConversationErrorCode.ReplyNotRunning]: conflict,
  [ConversationErrorCode.NothingToRegenerate]: conflict,
  // A state an admin changes (install or choose a model), not something a retry fixes.
  [ConversationErrorCode.NoModel]: conflict,
  [ConversationErrorCode.ModelsUnavailable]: retryLater,
  [ConversationErrorCode.StorageUnavailable]: retryLater,
  [ConversationErrorCode.Interrupted]: retryLater,
  [ConversationErrorCode.Busy]: retryLater,
};

export const MODELS_ERROR_STATUS: Readonly<Record<ModelsErrorCode, DomainErrorStatus>> = {
  [ModelsErrorCode.InvalidArgument]: badInput,
  [ModelsErrorCode.NotGguf]: badInput,
  [ModelsErrorCode.Damaged]: badInput,
  [ModelsErrorCode.UnknownArchitecture]: badInput,
  [ModelsErrorCode.ChecksumMismatch]: badInput,
  [ModelsErrorCode.PromptTooLong]: badInput,
  [ModelsErrorCode.UnknownModel]: notFound,
  [ModelsErrorCode.NoModel]: conflict,
  [ModelsErrorCode.AlreadyExists]: conflict,
  // The numbers are in the message; a smaller model or context, or freed memory, fixes it.
  [ModelsErrorCode.DoesNotFit]: conflict,
  // The file was checked at import but llama.cpp could not load it: the upstream part failed.
  [ModelsErrorCode.LoadFailed]: { status: 502 },
  [ModelsErrorCode.DownloadFailed]: { status: 502 },
  [ModelsErrorCode.DiskFull]: { status: 507 },
  [ModelsErrorCode.Busy]: retryLater,
  [ModelsErrorCode.BackendUnavailable]: retryLater,
  [ModelsErrorCode.NotAdmitted]: retryLater,
};

export const BUS_ERROR_STATUS: Readonly<Record<BusErrorCode, DomainErrorStatus>> = {
  [BusErrorCode.InvalidRequest]: badInput,
  [BusErrorCode.PayloadTooLarge]: { status: 413 },
  [BusErrorCode.NotPermitted]: forbidden,
  [BusErrorCode.DeadlineExceeded]: unavailable,
  [BusErrorCode.NoHandler]: unavailable,
  [BusErrorCode.BusUnreachable]: unavailable,
  [BusErrorCode.NotConnected]: unavailable,
  [BusErrorCode.QueueFull]: unavailable,
  // The gateway is stopping, or its bus key was refused: the same to a client as a service that does not answer.
  [BusErrorCode.Closed]: unavailable,
  [BusErrorCode.AuthRejected]: unavailable,
  [BusErrorCode.Cancelled]: unavailable,
  [BusErrorCode.StreamStalled]: unavailable,
  [BusErrorCode.ResponderGone]: unavailable,
  // Pieces of an answer were lost on the way: the upstream part failed, a retry asks again.
  [BusErrorCode.StreamGap]: { status: 502 },
  // The gateway asked wrongly (its own mistake, not the client's), or the handler failed without a public error.
  [BusErrorCode.UnknownTopic]: INTERNAL,
  [BusErrorCode.WrongPayloadType]: INTERNAL,
  [BusErrorCode.NotARequestTopic]: INTERNAL,
  [BusErrorCode.NotAStreamTopic]: INTERNAL,
  [BusErrorCode.HandlerFailed]: INTERNAL,
  // Only a responder raises it; a gateway request never ends with it.
  [BusErrorCode.RequesterGone]: INTERNAL,
};

/** Every table above, for a lookup by the code on the wire (the codes of different domains never collide). */
export const ERROR_STATUS_TABLES = [
  STORAGE_ERROR_STATUS,
  STORAGE_CLIENT_ERROR_STATUS,
  KEYS_ERROR_STATUS,
  SCHEDULER_ERROR_STATUS,
  JOBS_ERROR_STATUS,
  CONVERSATION_ERROR_STATUS,
  MODELS_ERROR_STATUS,
  BUS_ERROR_STATUS,
] as const;

const BY_CODE: ReadonlyMap<string, DomainErrorStatus> = new Map<string, DomainErrorStatus>(ERROR_STATUS_TABLES.flatMap((table) => Object.entries(table)));

export function domainErrorStatus(code: string): DomainErrorStatus | undefined {
  return BY_CODE.get(code);
}
