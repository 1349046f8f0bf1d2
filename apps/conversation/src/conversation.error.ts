// The conversation service's refusals: a code from the contract (ConversationErrorCode) and a message that says what
// to do next. Never the text of a message: errors travel on the bus and into logs.
import { ConversationErrorCode, PublicError } from '@aico/contracts';

export { ConversationErrorCode };

export class ConversationError extends PublicError<ConversationErrorCode> {
  override readonly name = 'ConversationError';
}
