// What `aico` exits with, so scripts can tell failures apart (sysexits.h numbers). Every key-manager and
// backup-archive error code maps to one, exhaustively; storage's codes (owned by the storage app) by name.
import { BackupArchiveErrorCode } from '@aico/backup-archive';
import { BusError, BusErrorCode, RemoteError } from '@aico/bus';
import { ConfigError } from '@aico/config';
import { ConversationErrorCode, ModelsErrorCode, SchedulerErrorCode } from '@aico/contracts';
import { KeyManagerError, KeyManagerErrorCode } from '@aico/key-manager';
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

export function exitCodeFor(code: KeyManagerErrorCode): ExitCode {
  switch (code) {
    case KeyManagerErrorCode.WeakPassword:
    case KeyManagerErrorCode.VaultTampered:
    case KeyManagerErrorCode.VaultMismatch:
      return ExitCode.DataError;
    case KeyManagerErrorCode.WrongPassword:
      return ExitCode.WrongPassword;
    case KeyManagerErrorCode.TooManyAttempts:
      return ExitCode.TryLater;
    case KeyManagerErrorCode.NotSetUp:
      return ExitCode.NoInput;
    case KeyManagerErrorCode.AlreadySetUp:
      return ExitCode.AlreadyExists;
    case KeyManagerErrorCode.VaultUnsupported:
    case KeyManagerErrorCode.KeychainUnavailable:
      return ExitCode.Unavailable;
  }
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

/**
 * The exit code of an error reply from storage. Its codes are the storage app's StorageErrorCode, which the CLI
 * may not import (apps never import apps): matched by name. No reply (no storage, no bus) means unavailable;
 * any other code, such as an unexpected handler failure, is a plain failure.
 */
export function storageExitCode(error: RemoteError | BusError): ExitCode {
  const archiveCode = error.details['archiveCode'];
  switch (error.code) {
    case 'STORAGE_INVALID_ARGUMENT':
      return ExitCode.Usage;
    case 'STORAGE_BUSY':
      return ExitCode.TryLater;
    case 'STORAGE_SHUTTING_DOWN':
      return ExitCode.Unavailable;
    case 'STORAGE_DISK_FULL':
    case 'STORAGE_IO':
      return ExitCode.IoError;
    case 'STORAGE_WRONG_KEY':
    case 'STORAGE_DATABASE_NEWER':
    case 'STORAGE_MIGRATION_FAILED':
      return ExitCode.DataError;
    case 'STORAGE_BACKUP_FAILED':
    case 'STORAGE_RESTORE_FAILED':
      if (isArchiveCode(archiveCode)) return archiveExitCode(archiveCode);
      if (error.details['errno'] !== undefined) return ExitCode.IoError;
      return error.code === 'STORAGE_RESTORE_FAILED' ? ExitCode.DataError : ExitCode.Failure;
    case BusErrorCode.DeadlineExceeded:
    case BusErrorCode.NoHandler:
    case BusErrorCode.BusUnreachable:
    case BusErrorCode.NotConnected:
    case BusErrorCode.Closed:
      return ExitCode.Unavailable;
    default:
      return ExitCode.Failure;
  }
}

const isSchedulerCode = (code: string): code is SchedulerErrorCode => (Object.values(SchedulerErrorCode) as string[]).includes(code);

/** The exit code of an error reply from the scheduler (its codes are part of the contract), or of no reply at all. */
export function schedulerExitCode(error: RemoteError | BusError): ExitCode {
  if (!isSchedulerCode(error.code)) return storageExitCode(error);
  switch (error.code) {
    case SchedulerErrorCode.UnknownTask:
      return ExitCode.NoInput;
    case SchedulerErrorCode.InvalidTask:
    case SchedulerErrorCode.BuiltIn:
      return ExitCode.Usage;
    case SchedulerErrorCode.NameTaken:
      return ExitCode.AlreadyExists;
    case SchedulerErrorCode.NotReady:
      return ExitCode.TryLater;
    case SchedulerErrorCode.NotPermitted:
      return ExitCode.Failure;
  }
}

const isModelsCode = (code: string): code is ModelsErrorCode => (Object.values(ModelsErrorCode) as string[]).includes(code);

/** The exit code of an error reply from the models service (its codes are part of the contract), or of no reply. */
export function modelsExitCode(error: RemoteError | BusError): ExitCode {
  if (error.code === BusErrorCode.StreamStalled) return ExitCode.Unavailable;
  if (!isModelsCode(error.code)) return storageExitCode(error);
  switch (error.code) {
    case ModelsErrorCode.InvalidArgument:
      return ExitCode.Usage;
    case ModelsErrorCode.NoModel:
    case ModelsErrorCode.UnknownModel:
      return ExitCode.NoInput;
    case ModelsErrorCode.AlreadyExists:
      return ExitCode.AlreadyExists;
    case ModelsErrorCode.NotGguf:
    case ModelsErrorCode.Damaged:
    case ModelsErrorCode.UnknownArchitecture:
    case ModelsErrorCode.ChecksumMismatch:
    case ModelsErrorCode.PromptTooLong:
      return ExitCode.DataError;
    case ModelsErrorCode.DiskFull:
      return ExitCode.IoError;
    // Worth trying again: a download resumes, a busy queue drains, the monitor admits when resources recover.
    case ModelsErrorCode.DownloadFailed:
    case ModelsErrorCode.Busy:
    case ModelsErrorCode.NotAdmitted:
      return ExitCode.TryLater;
    case ModelsErrorCode.DoesNotFit:
    case ModelsErrorCode.BackendUnavailable:
      return ExitCode.Unavailable;
    case ModelsErrorCode.LoadFailed:
      return ExitCode.Failure;
  }
}

const isConversationCode = (code: string): code is ConversationErrorCode => (Object.values(ConversationErrorCode) as string[]).includes(code);

/**
 * The exit code of a conversation error (a refused request, or a reply that failed with this code), a models error
 * the reply failed with, or no answer at all.
 */
export function conversationExitCode(error: { readonly code: string; readonly details?: Readonly<Record<string, string>> }): ExitCode {
  if (isModelsCode(error.code)) return modelsExitCode(error as RemoteError);
  if (!isConversationCode(error.code)) return error.code === BusErrorCode.StreamStalled || error.code === BusErrorCode.ResponderGone ? ExitCode.Unavailable : storageExitCode({ details: {}, ...error } as RemoteError);
  switch (error.code) {
    case ConversationErrorCode.InvalidArgument:
    case ConversationErrorCode.EmptyMessage:
    case ConversationErrorCode.MessageTooLong:
      return ExitCode.Usage;
    case ConversationErrorCode.ThreadNotFound:
    case ConversationErrorCode.FactNotFound:
    case ConversationErrorCode.NothingToRegenerate:
    case ConversationErrorCode.NoModel: // one must be imported or pulled first ("aico models")
      return ExitCode.NoInput;
    // Worth trying again in a moment: the other reply ends, the queue drains, the restarted app answers.
    case ConversationErrorCode.ReplyInProgress:
    case ConversationErrorCode.Busy:
    case ConversationErrorCode.Interrupted:
      return ExitCode.TryLater;
    case ConversationErrorCode.ModelsUnavailable:
    case ConversationErrorCode.StorageUnavailable:
      return ExitCode.Unavailable;
    case ConversationErrorCode.ReplyNotRunning:
      return ExitCode.Failure;
  }
}

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
  if (error instanceof RemoteError || error instanceof BusError) return new CliError(`${error.message} (${error.code})`, ExitCode.Unavailable);
  return new CliError(`Unexpected error: ${(error as Error).message ?? String(error)}`, ExitCode.Failure);
}
