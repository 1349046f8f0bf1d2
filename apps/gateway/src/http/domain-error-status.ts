// The HTTP status of every error code the conversation and models services answer with, so a front end gets a
// status it can act on (400 fix the input, 404 gone, 409 wait or change the state, 503 retry) and never a bare 500
// for a known failure. A code missing here is a type error (Record over the enums).
import { ConversationErrorCode, ModelsErrorCode } from '@aico/contracts';

export interface DomainErrorStatus {
  readonly status: number;
  /** Seconds a client should wait before retrying (sent as Retry-After). */
  readonly retryAfterSeconds?: number;
}

const badInput: DomainErrorStatus = { status: 400 };
const notFound: DomainErrorStatus = { status: 404 };
const conflict: DomainErrorStatus = { status: 409 };
const retryLater: DomainErrorStatus = { status: 503, retryAfterSeconds: 5 };

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

const BY_CODE: ReadonlyMap<string, DomainErrorStatus> = new Map<string, DomainErrorStatus>([...Object.entries(CONVERSATION_ERROR_STATUS), ...Object.entries(MODELS_ERROR_STATUS)]);

export function domainErrorStatus(code: string): DomainErrorStatus | undefined {
  return BY_CODE.get(code);
}
