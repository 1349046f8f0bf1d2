// What `aico` exits with, so scripts can tell failures apart (sysexits.h numbers). Every error code a command can
// meet (each service's, from the contracts; the bus's; the key manager's and the backup archive's) maps to one, in a
// Record or switch the type checker holds complete: a new code without an exit code does not compile.
import { BackupArchiveErrorCode } from '@aico/backup-archive';
import { BusError, BusErrorCode, RemoteError } from '@aico/bus';
import { ConfigError } from '@aico/config';
import {
  ConversationErrorCode,
  JobsErrorCode,
  KeysErrorCode,
  ModelsErrorCode,
  SchedulerErrorCode,
  StorageClientErrorCode,
  StorageErrorCode,
} from '@aico/contracts';
import { KeyManagerError, type KeyManagerErrorCode } from '@aico/key-manager';
import { KeyError } from '@aico/keys';

export enum ExitCode {
  Ok = 0,
  Failure = 1,
  Usage = 64,
  DataError = 65,
  /** EX_NOINPUT: what was to be read is missing or unreadable (no vault: not set up; no backup archive). */
  NoInput = 66,
  Unavailable = 69,
  AlreadyExists = 73,
  IoError = 74,
  TryLater = 75,
  WrongPassword = 77,
  Config = 78,
}

export const KEYS_EXIT: Readonly<Record<KeysErrorCode, ExitCode>> = {
  [KeysErrorCode.WeakPassword]: ExitCode.DataError,
  [KeysErrorCode.VaultTampered]: ExitCode.DataError,
  [KeysErrorCode.VaultMismatch]: ExitCode.DataError,
  [KeysErrorCode.SealedBoxInvalid]: ExitCode.DataError,
  [KeysErrorCode.WrongPassword]: ExitCode.WrongPassword,
  [KeysErrorCode.TooManyAttempts]: ExitCode.TryLater,
  [KeysErrorCode.NotSetUp]: ExitCode.NoInput,
  [KeysErrorCode.AlreadySetUp]: ExitCode.AlreadyExists,
  [KeysErrorCode.VaultUnsupported]: ExitCode.Unavailable,
  [KeysErrorCode.KeychainUnavailable]: ExitCode.Unavailable,
  [KeysErrorCode.InvalidPurpose]: ExitCode.Usage,
};

export function exitCodeFor(code: KeyManagerErrorCode): ExitCode {
  return KEYS_EXIT[code];
}

export function archiveExitCode(code: BackupArchiveErrorCode): ExitCode {
  switch (code) {
    case BackupArchiveErrorCode.Foreign:
    case BackupArchiveErrorCode.WrongKey:
    case BackupArchiveErrorCode.Tampered:
    case BackupArchiveErrorCode.Truncated:
    case BackupArchiveErrorCode.UnsupportedVersion:
    case BackupArchiveErrorCode.ManifestInvalid:
    case BackupArchiveErrorCode.ChecksumMismatch:
    case BackupArchiveErrorCode.UnsafeEntryName:
      return ExitCode.DataError;
    case BackupArchiveErrorCode.Unreadable:
      return ExitCode.NoInput;
    case BackupArchiveErrorCode.SourceChanged:
      return ExitCode.TryLater;
    case BackupArchiveErrorCode.TargetNotEmpty:
      return ExitCode.Failure;
  }
}

const isArchiveCode = (code: string | undefined): code is BackupArchiveErrorCode => (Object.values(BackupArchiveErrorCode) as string[]).includes(code ?? '');

/** A backup or restore failure carries the archive's code, or the errno of the file that failed, in its details. */
const backupFailure =
  (otherwise: ExitCode) =>
  (details: Readonly<Record<string, string>>): ExitCode => {
    const archiveCode = details['archiveCode'];
    if (isArchiveCode(archiveCode)) return archiveExitCode(archiveCode);
    return details['errno'] !== undefined ? ExitCode.IoError : otherwise;
  };

type ExitRule = ExitCode | ((details: Readonly<Record<string, string>>) => ExitCode);

export const STORAGE_EXIT: Readonly<Record<StorageErrorCode, ExitRule>> = {
  [StorageErrorCode.InvalidArgument]: ExitCode.Usage,
  [StorageErrorCode.UnknownRecordKind]: ExitCode.Usage,
  [StorageErrorCode.InvalidText]: ExitCode.DataError,
  [StorageErrorCode.ValueTooLarge]: ExitCode.DataError,
  [StorageErrorCode.WrongKey]: ExitCode.DataError,
  [StorageErrorCode.DatabaseNewerThanCode]: ExitCode.DataError,
  [StorageErrorCode.MigrationFailed]: ExitCode.DataError,
  [StorageErrorCode.Busy]: ExitCode.TryLater,
  // Someone else changed it meanwhile: read again and retry.
  [StorageErrorCode.VersionConflict]: ExitCode.TryLater,
  // A unique rule of the database: the thing exists already.
  [StorageErrorCode.Conflict]: ExitCode.AlreadyExists,
  [StorageErrorCode.ShuttingDown]: ExitCode.Unavailable,
  [StorageErrorCode.DiskFull]: ExitCode.IoError,
  [StorageErrorCode.Io]: ExitCode.IoError,
  [StorageErrorCode.NotPermitted]: ExitCode.Failure,
  [StorageErrorCode.Database]: ExitCode.Failure,
  [StorageErrorCode.BackupFailed]: backupFailure(ExitCode.Failure),
  [StorageErrorCode.RestoreFailed]: backupFailure(ExitCode.DataError),
};

export const STORAGE_CLIENT_EXIT: Readonly<Record<StorageClientErrorCode, ExitCode>> = {
  [StorageClientErrorCode.NotAcknowledged]: ExitCode.Unavailable,
};

export const SCHEDULER_EXIT: Readonly<Record<SchedulerErrorCode, ExitCode>> = {
  [SchedulerErrorCode.UnknownTask]: ExitCode.NoInput,
  [SchedulerErrorCode.InvalidTask]: ExitCode.Usage,
  [SchedulerErrorCode.BuiltIn]: ExitCode.Usage,
  [SchedulerErrorCode.NameTaken]: ExitCode.AlreadyExists,
  [SchedulerErrorCode.NotReady]: ExitCode.TryLater,
  [SchedulerErrorCode.NotPermitted]: ExitCode.Failure,
};

export const JOBS_EXIT: Readonly<Record<JobsErrorCode, ExitCode>> = {
  [JobsErrorCode.InvalidArgument]: ExitCode.Usage,
  [JobsErrorCode.UnknownJob]: ExitCode.NoInput,
  [JobsErrorCode.DuplicateId]: ExitCode.AlreadyExists,
  [JobsErrorCode.QueueFull]: ExitCode.TryLater,
  [JobsErrorCode.NotPermitted]: ExitCode.Failure,
  [JobsErrorCode.NotRunning]: ExitCode.Failure,
  [JobsErrorCode.AlreadyFinished]: ExitCode.Failure,
};

export const MODELS_EXIT: Readonly<Record<ModelsErrorCode, ExitCode>> = {
  [ModelsErrorCode.InvalidArgument]: ExitCode.Usage,
  [ModelsErrorCode.NoModel]: ExitCode.NoInput,
  [ModelsErrorCode.UnknownModel]: ExitCode.NoInput,
  [ModelsErrorCode.AlreadyExists]: ExitCode.AlreadyExists,
  [ModelsErrorCode.NotGguf]: ExitCode.DataError,
  [ModelsErrorCode.Damaged]: ExitCode.DataError,
  [ModelsErrorCode.UnknownArchitecture]: ExitCode.DataError,
  [ModelsErrorCode.ChecksumMismatch]: ExitCode.DataError,
  [ModelsErrorCode.PromptTooLong]: ExitCode.DataError,
  [ModelsErrorCode.DiskFull]: ExitCode.IoError,
  // Worth trying again: a download resumes, a busy queue drains, the monitor admits when resources recover.
  [ModelsErrorCode.DownloadFailed]: ExitCode.TryLater,
  [ModelsErrorCode.Busy]: ExitCode.TryLater,
  [ModelsErrorCode.NotAdmitted]: ExitCode.TryLater,
  [ModelsErrorCode.DoesNotFit]: ExitCode.Unavailable,
  [ModelsErrorCode.BackendUnavailable]: ExitCode.Unavailable,
  [ModelsErrorCode.LoadFailed]: ExitCode.Failure,
};

export const CONVERSATION_EXIT: Readonly<Record<ConversationErrorCode, ExitCode>> = {
  [ConversationErrorCode.InvalidArgument]: ExitCode.Usage,
  [ConversationErrorCode.EmptyMessage]: ExitCode.Usage,
  [ConversationErrorCode.MessageTooLong]: ExitCode.Usage,
  [ConversationErrorCode.ThreadNotFound]: ExitCode.NoInput,
  [ConversationErrorCode.FactNotFound]: ExitCode.NoInput,
  [ConversationErrorCode.NothingToRegenerate]: ExitCode.NoInput,
  // One must be imported or pulled first ("aico models").
  [ConversationErrorCode.NoModel]: ExitCode.NoInput,
  // Worth trying again in a moment: the other reply ends, the queue drains, the restarted app answers.
  [ConversationErrorCode.ReplyInProgress]: ExitCode.TryLater,
  [ConversationErrorCode.Busy]: ExitCode.TryLater,
  [ConversationErrorCode.Interrupted]: ExitCode.TryLater,
  [ConversationErrorCode.ModelsUnavailable]: ExitCode.Unavailable,
  [ConversationErrorCode.StorageUnavailable]: ExitCode.Unavailable,
  [ConversationErrorCode.ReplyNotRunning]: ExitCode.Failure,
};

export const BUS_EXIT: Readonly<Record<BusErrorCode, ExitCode>> = {
  // Nobody answered: not running, not reachable, too slow, stopping, or it died mid-answer.
  [BusErrorCode.DeadlineExceeded]: ExitCode.Unavailable,
  [BusErrorCode.NoHandler]: ExitCode.Unavailable,
  [BusErrorCode.BusUnreachable]: ExitCode.Unavailable,
  [BusErrorCode.NotConnected]: ExitCode.Unavailable,
  [BusErrorCode.Closed]: ExitCode.Unavailable,
  [BusErrorCode.StreamStalled]: ExitCode.Unavailable,
  [BusErrorCode.ResponderGone]: ExitCode.Unavailable,
  [BusErrorCode.QueueFull]: ExitCode.TryLater,
  [BusErrorCode.StreamGap]: ExitCode.TryLater,
  [BusErrorCode.InvalidRequest]: ExitCode.Usage,
  [BusErrorCode.PayloadTooLarge]: ExitCode.DataError,
  // The bus refused this machine's CURVE key: the keys on disk do not match ("aico doctor").
  [BusErrorCode.AuthRejected]: ExitCode.Config,
  [BusErrorCode.NotPermitted]: ExitCode.Failure,
  [BusErrorCode.Cancelled]: ExitCode.Failure,
  [BusErrorCode.HandlerFailed]: ExitCode.Failure,
  // The CLI's own mistakes: a plain failure.
  [BusErrorCode.UnknownTopic]: ExitCode.Failure,
  [BusErrorCode.WrongPayloadType]: ExitCode.Failure,
  [BusErrorCode.NotARequestTopic]: ExitCode.Failure,
  [BusErrorCode.NotAStreamTopic]: ExitCode.Failure,
  [BusErrorCode.RequesterGone]: ExitCode.Failure,
};

/** Every table above, by the code on the wire (the codes of different domains never collide). */
export const EXIT_TABLES = [KEYS_EXIT, STORAGE_EXIT, STORAGE_CLIENT_EXIT, SCHEDULER_EXIT, JOBS_EXIT, MODELS_EXIT, CONVERSATION_EXIT, BUS_EXIT] as const;

const BY_CODE: ReadonlyMap<string, ExitRule> = new Map<string, ExitRule>(EXIT_TABLES.flatMap((table) => Object.entries(table)));

/** The exit code of a coded error (a reply's, the bus's), or `otherwise` for a code no domain declares. */
export function remoteExitCode(error: { readonly code: string; readonly details?: Readonly<Record<string, string>> }, otherwise = ExitCode.Failure): ExitCode {
  const rule = BY_CODE.get(error.code);
  if (rule === undefined) return otherwise;
  return typeof rule === 'function' ? rule(error.details ?? {}) : rule;
}

// The commands' names for the one lookup: a storage, scheduler, models or conversation call can fail with its own
// codes, the codes of the services behind it (a reply that failed in the models service), and the bus's.
export const storageExitCode = (error: RemoteError | BusError): ExitCode => remoteExitCode(error);
export const schedulerExitCode = storageExitCode;
export const modelsExitCode = storageExitCode;
export const conversationExitCode = (error: { readonly code: string; readonly details?: Readonly<Record<string, string>> }): ExitCode => remoteExitCode(error);

/** A failure the user caused or can fix: message and exit code, no stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof KeyManagerError) return new CliError(error.message, exitCodeFor(error.code));
  if (error instanceof ConfigError || error instanceof KeyError) return new CliError(error.message, ExitCode.Config);
  // A code no domain declares still means the service behind it did not do the work.
  if (error instanceof RemoteError || error instanceof BusError)
    return new CliError(`${error.message} (${error.code})`, remoteExitCode(error, ExitCode.Unavailable));
  return new CliError(`Unexpected error: ${(error as Error).message ?? String(error)}`, ExitCode.Failure);
}
