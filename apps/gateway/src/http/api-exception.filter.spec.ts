import { PublicError } from '@aico/contracts';
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
});
