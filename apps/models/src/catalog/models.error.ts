// The models service's refusals, as values with codes (ModelsErrorCode is part of the contract, so every edge — bus
// reply, CLI exit code — maps each code). The engine throws these too.
import { ModelsErrorCode, PublicError } from '@aico/contracts';

export { ModelsErrorCode };

export class ModelsError extends PublicError<ModelsErrorCode> {
  override readonly name = 'ModelsError';
}
