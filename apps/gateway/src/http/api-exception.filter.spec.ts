import { ConversationErrorCode, ModelsErrorCode, PublicError } from '@aico/contracts';
import { toApiError } from './api-exception.filter';

class StandInError extends PublicError<string> {}

describe('toApiError', () => {
  it('answers a full disk with 503 STORAGE_DISK_FULL and a Retry-After, not a bare 500', () => {
    const error = toApiError(new StandInError('STORAGE_DISK_FULL', 'The disk holding /data/aico.db is full.'));
    expect(error.status).toBe(503);
    expect(error.code).toBe('STORAGE_DISK_FULL');
    expect(error.message).toMatch(/free some space/);
    expect(error.details).toEqual({ retryAfterSeconds: 30 });
  });

  it('still hides an unknown failure behind 500 INTERNAL', () => {
    const error = toApiError(new Error('SQLITE_CORRUPT at /secret/path'));
    expect(error.status).toBe(500);
    expect(error.code).toBe('INTERNAL');
    expect(error.message).not.toMatch(/secret/);
  });

  it('gives every conversation and models error code a status of its own, never 500, and keeps the code and message', () => {
    const statuses = [...Object.values(ConversationErrorCode), ...Object.values(ModelsErrorCode)].map((code) => {
      const error = toApiError(new StandInError(code, `what happened: ${code}`));
      expect([code, error.code, error.message]).toEqual([code, code, `what happened: ${code}`]);
      return [code, error.status] as const;
    });
    expect(statuses.filter(([, status]) => status === 500)).toEqual([]);
    expect(Object.fromEntries(statuses)).toMatchObject({
      CONVERSATION_EMPTY_MESSAGE: 400,
      CONVERSATION_MESSAGE_TOO_LONG: 400,
      CONVERSATION_THREAD_NOT_FOUND: 404,
      CONVERSATION_FACT_NOT_FOUND: 404,
      CONVERSATION_REPLY_IN_PROGRESS: 409,
      CONVERSATION_REPLY_NOT_RUNNING: 409,
      CONVERSATION_NO_MODEL: 409,
      CONVERSATION_MODELS_UNAVAILABLE: 503,
      MODELS_UNKNOWN_MODEL: 404,
      MODELS_ALREADY_EXISTS: 409,
      MODELS_NOT_GGUF: 400,
      MODELS_DISK_FULL: 507,
      MODELS_DOWNLOAD_FAILED: 502,
    });
  });

  it('asks to retry after a while when the conversation service is busy', () => {
    expect(toApiError(new StandInError('CONVERSATION_BUSY', 'Too many replies wait.')).details).toEqual({ retryAfterSeconds: 5 });
  });
});
