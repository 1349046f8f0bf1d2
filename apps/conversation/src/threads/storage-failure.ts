// Storage errors as the conversation service answers them: its own refusals pass through, anything else (no answer,
// a refused write) is STORAGE_UNAVAILABLE without storage's internals.
import { PublicError } from '@aico/contracts';
import { ConversationError, ConversationErrorCode } from '../conversation.error';

export function storageFailure(error: unknown): Error {
  if (error instanceof ConversationError) return error;
  const code = error instanceof PublicError ? ` (${error.code})` : '';
  return new ConversationError(
    ConversationErrorCode.StorageUnavailable,
    `Storage did not keep or give the conversation${code}; try again in a moment ("aico status" shows the services).`,
  );
}
