import { FRAME_TYPES, parseClientFrame, type ParsedFrame } from './ws-frames';
import { WsErrorCode } from './ws-protocol';

const parse = (value: unknown): ParsedFrame => parseClientFrame(typeof value === 'string' ? value : JSON.stringify(value), false);
const codeOf = (parsed: ParsedFrame) => (parsed.ok ? 'ok' : parsed.error.code);

describe('WebSocket frame schemas', () => {
  it('accepts each frame type in its documented shape', () => {
    expect(parse({ type: 'subscribe', topic: 'conversation.', id: 'a' })).toEqual({ ok: true, frame: { type: 'subscribe', topic: 'conversation.', id: 'a' } });
    expect(parse({ type: 'unsubscribe', topic: 'ui.avatar.' })).toEqual({ ok: true, frame: { type: 'unsubscribe', topic: 'ui.avatar.' } });
    expect(parse({ type: 'publish', topic: 'ui.avatar.speak', payload: { text: 'hi' }, id: 'p' })).toEqual({
      ok: true,
      frame: { type: 'publish', topic: 'ui.avatar.speak', payload: { text: 'hi' }, id: 'p' },
    });
    expect(parse({ type: 'ping' })).toEqual({ ok: true, frame: { type: 'ping' } });
    expect(parse({ type: 'auth', token: 'a.b.c', id: 'r' })).toEqual({ ok: true, frame: { type: 'auth', token: 'a.b.c', id: 'r' } });
    expect(FRAME_TYPES).toEqual(['subscribe', 'unsubscribe', 'publish', 'ping', 'auth']);
  });

  it.each(['subscribe', 'unsubscribe', 'publish'])('refuses the frame that crashed the gateway, as %s, with INVALID_FRAME', (type) => {
    const raw = `{"type":"${type}","topic":{"toString":1}}`;
    const parsed = parseClientFrame(raw, false);
    expect(parsed).toEqual({
      ok: false,
      error: { code: WsErrorCode.InvalidFrame, message: expect.stringContaining('topic: Invalid input: expected string, received object') },
    });
    // The same as bytes, the way ws hands it over.
    expect(parseClientFrame(Buffer.from(raw), false)).toEqual(parsed);
  });

  it('refuses what is not a JSON object with a string type, as MALFORMED_FRAME', () => {
    for (const raw of [
      'not json',
      '',
      '{"type":',
      '42',
      'null',
      'true',
      '"subscribe"',
      '[]',
      '[{"type":"ping"}]',
      '{}',
      '{"type":1}',
      '{"type":null}',
      '{"type":{"toString":1}}',
      '{"type":["ping"]}',
      '{"__proto__":{"type":"ping"}}',
    ]) {
      expect([raw, codeOf(parseClientFrame(raw, false))]).toEqual([raw, WsErrorCode.MalformedFrame]);
    }
  });

  it('refuses unknown types, including the names every object inherits', () => {
    for (const type of ['hello', 'toString', 'valueOf', '__proto__', 'constructor', 'hasOwnProperty', 'SUBSCRIBE']) {
      expect([type, parse({ type, id: 'x' })]).toEqual([type, { ok: false, error: { code: WsErrorCode.UnknownFrame, message: expect.any(String), id: 'x' } }]);
    }
    expect(codeOf(parse({ type: 'x'.repeat(1000) }))).toBe(WsErrorCode.MalformedFrame);
  });

  it('refuses wrong types per field, missing and unknown fields, and echoes only a readable id', () => {
    const wrongValues: unknown[] = [1, -1, 1e308, true, null, [], ['conversation.'], { toString: 'conversation.' }, { valueOf: 1 }];
    for (const type of ['subscribe', 'unsubscribe']) {
      for (const topic of wrongValues) expect(codeOf(parse({ type, topic }))).toBe(WsErrorCode.InvalidFrame);
      expect(codeOf(parse({ type }))).toBe(WsErrorCode.InvalidFrame);
      expect(codeOf(parse({ type, topic: 'Conversation' }))).toBe(WsErrorCode.InvalidFrame);
      expect(codeOf(parse({ type, topic: 'x'.repeat(129) }))).toBe(WsErrorCode.InvalidFrame);
    }
    for (const topic of [...wrongValues, 'ui', 'ui.avatar', 'UI.AVATAR.SPEAK'])
      expect(codeOf(parse({ type: 'publish', topic, payload: {} }))).toBe(WsErrorCode.InvalidFrame);
    for (const token of [...wrongValues, '', 'x'.repeat(4097)]) expect(codeOf(parse({ type: 'auth', token }))).toBe(WsErrorCode.InvalidFrame);
    expect(codeOf(parse({ type: 'ping', extra: 1 }))).toBe(WsErrorCode.InvalidFrame);
    expect(codeOf(parseClientFrame('{"type":"ping","__proto__":{"id":"x"}}', false))).toBe(WsErrorCode.InvalidFrame);
    for (const id of [1, null, {}, [], 'x'.repeat(65)]) {
      const parsed = parse({ type: 'ping', id });
      expect(parsed.ok).toBe(false);
      expect(parsed.ok ? undefined : parsed.error).not.toHaveProperty('id');
    }
  });

  it('refuses binary frames, and keeps error messages short whatever the client sent', () => {
    expect(codeOf(parseClientFrame(Buffer.from('{"type":"ping"}'), true))).toBe(WsErrorCode.BinaryFrame);
    expect(codeOf(parseClientFrame([Buffer.from('{"type":'), Buffer.from('"ping"}')], false))).toBe('ok');
    const manyKeys = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`key-${i}-${'k'.repeat(50)}`, i]));
    const parsed = parse({ type: 'ping', ...manyKeys });
    expect(parsed.ok ? '' : parsed.error.message.length).toBeLessThanOrEqual(300);
  });

  it('parses deeply nested and huge JSON without throwing', () => {
    const deep = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    expect(codeOf(parseClientFrame(deep, false))).toBe(WsErrorCode.MalformedFrame);
    const deepPayload = `{"type":"publish","topic":"ui.avatar.speak","payload":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`;
    expect(codeOf(parseClientFrame(deepPayload, false))).toBe('ok');
    expect(codeOf(parse({ type: 'subscribe', topic: 'x'.repeat(60_000) }))).toBe(WsErrorCode.InvalidFrame);
  });
});
