// The models service's refusals: a code from the contract (ModelsErrorCode) and a message that says what to do.
import { ModelsErrorCode, PublicError } from '@aico/contracts';

export { ModelsErrorCode };

export class ModelsError extends PublicError<ModelsErrorCode> {
  override readonly name = 'ModelsError';
}
