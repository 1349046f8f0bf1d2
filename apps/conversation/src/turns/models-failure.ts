// How a failure of the models service reads to the user: no model installed (an admin installs one), or the service
// gone, silent or failing (try again). Models' messages are public (its refusals say what to do); the bus's too.
import { BusError, BusErrorCode, RemoteError } from '@aico/bus';
import { ModelsErrorCode, PublicError } from '@aico/contracts';
import { ConversationError, ConversationErrorCode } from '../conversation.error';

export interface ReplyFailure {
  readonly code: ConversationErrorCode;
  readonly message: string;
}

export function replyFailure(error: unknown): ReplyFailure {
  if (error instanceof ConversationError) return { code: error.code, message: error.message };
  if (error instanceof RemoteError && (error.code === ModelsErrorCode.NoModel || error.code === ModelsErrorCode.UnknownModel)) {
    return {
      code: ConversationErrorCode.NoModel,
      message: 'No model is installed for chat: an admin imports or pulls one (the Models page, or "aico models pull"), then send your message again.',
    };
  }
  if (error instanceof BusError) {
    switch (error.code) {
      case BusErrorCode.ResponderGone:
        return {
          code: ConversationErrorCode.ModelsUnavailable,
          message: 'The models app ended while it wrote this reply; it is being restarted: send your message again in a moment.',
        };
      case BusErrorCode.StreamStalled:
        return {
          code: ConversationErrorCode.ModelsUnavailable,
          message: 'The models service stopped answering while it wrote this reply; send your message again in a moment ("aico status" shows the services).',
        };
      default:
        return {
          code: ConversationErrorCode.ModelsUnavailable,
          message: `The models service could not be reached (${error.code}); is aico running with the models app ("aico status")?`,
        };
    }
  }
  if (error instanceof PublicError)
    return { code: ConversationErrorCode.ModelsUnavailable, message: `The models service could not write this reply: ${error.message} (${error.code})` };
  return { code: ConversationErrorCode.ModelsUnavailable, message: 'The reply failed for a reason the conversation service logged; send your message again.' };
}
