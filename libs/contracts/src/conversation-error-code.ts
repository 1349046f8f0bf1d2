// The conversation service's error codes, in a file of their own with no imports so a browser may use them as values
// (@aico/contracts/browser).

/** Error codes the conversation service answers with. */
export enum ConversationErrorCode {
  InvalidArgument = 'CONVERSATION_INVALID_ARGUMENT',
  EmptyMessage = 'CONVERSATION_EMPTY_MESSAGE',
  MessageTooLong = 'CONVERSATION_MESSAGE_TOO_LONG',
  /** No thread with this id belongs to the user (another user's thread answers the same: its existence is not told). */
  ThreadNotFound = 'CONVERSATION_THREAD_NOT_FOUND',
  /** A reply is still being written in this thread: stop it or wait. */
  ReplyInProgress = 'CONVERSATION_REPLY_IN_PROGRESS',
  /** No reply is being written (it has ended, or never started). */
  ReplyNotRunning = 'CONVERSATION_REPLY_NOT_RUNNING',
  /** The thread has no user message to answer again. */
  NothingToRegenerate = 'CONVERSATION_NOTHING_TO_REGENERATE',
  FactNotFound = 'CONVERSATION_FACT_NOT_FOUND',
  /** No model is installed (or none is in use for chat): the reply cannot start. */
  NoModel = 'CONVERSATION_NO_MODEL',
  /** The models service did not answer or failed the generation. */
  ModelsUnavailable = 'CONVERSATION_MODELS_UNAVAILABLE',
  /** Storage did not answer or refused the write. */
  StorageUnavailable = 'CONVERSATION_STORAGE_UNAVAILABLE',
  /** The conversation service stopped (or was killed) while the reply was being written. */
  Interrupted = 'CONVERSATION_INTERRUPTED',
  /** Too many replies wait already. */
  Busy = 'CONVERSATION_BUSY',
}
