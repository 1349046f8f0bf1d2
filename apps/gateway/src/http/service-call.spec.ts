import { BusError, BusErrorCode, RemoteError } from '@aico/bus';
import { ConversationErrorCode } from '@aico/contracts';
import { ApiError } from './api-error';
import { BUS_ERROR_STATUS } from './domain-error-status';
import { callService, NO_ANSWER } from './service-call';

const failWith = (error: Error) => () => Promise.reject(error);

describe('callService', () => {
  const busCodes = Object.values(BusErrorCode);
  const noAnswerCodes = busCodes.filter((code) => BUS_ERROR_STATUS[code].status === 503);

  it.each(noAnswerCodes)('answers the bus code %s (a 503 in the status table) as the named service being unavailable', async (code) => {
    const call = callService('conversation', failWith(new BusError(code, 'nobody answered')));
    await expect(call).rejects.toBeInstanceOf(ApiError);
    await expect(call).rejects.toMatchObject({ status: 503, code: 'CONVERSATION_SERVICE_UNAVAILABLE', details: { cause: code, retryAfterSeconds: 5 } });
  });

  it('takes its no-answer codes from the status table: the same set, so a new bus code is decided in one place', () => {
    expect([...NO_ANSWER].sort()).toEqual([...noAnswerCodes].sort());
  });

  it.each(busCodes.filter((code) => BUS_ERROR_STATUS[code].status !== 503))('passes the bus code %s through unchanged (the filter maps it)', async (code) => {
    const error = new BusError(code, 'refused');
    await expect(callService('models', failWith(error))).rejects.toBe(error);
  });

  it("passes a service's own error through unchanged", async () => {
    const error = new RemoteError(ConversationErrorCode.ThreadNotFound, 'no such thread', 'conversation');
    await expect(callService('conversation', failWith(error))).rejects.toBe(error);
  });
});
