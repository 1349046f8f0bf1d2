import { AVATAR_PROTOCOL_VERSION, COMMAND_TYPES, EVENT_TYPES, isAllowedModelUrl, MAX_ENVELOPE_LENGTH, parseCommand, parseEvent } from './protocol';

const envelope = { protocol: 'aico.avatar', version: 1 } as const;
const command = (body: Record<string, unknown>) => ({ ...envelope, id: 'c1', ...body });
const event = (body: Record<string, unknown>) => ({ ...envelope, ...body });

describe('parseCommand', () => {
  const valid: Record<(typeof COMMAND_TYPES)[number], Record<string, unknown>[]> = {
    load: [{ type: 'load' }, { type: 'load', url: '/avatar/models/default.glb' }, { type: 'load', url: 'blob:https://aico.local/0d3c' }],
    speak: [
      { type: 'speak', text: 'Hello there' },
      { type: 'speak', text: 'x'.repeat(2000), audio: { sampleRateHz: 100, envelope: [0, 0.5, 1] } },
    ],
    stop: [{ type: 'stop' }],
    setExpression: [
      { type: 'setExpression', expression: 'happy' },
      { type: 'setExpression', expression: 'thinking', intensity: 0.4, transitionMs: 5000 },
    ],
    pause: [{ type: 'pause' }],
    resume: [{ type: 'resume' }],
    dispose: [{ type: 'dispose' }],
    inspect: [{ type: 'inspect' }],
  };

  it.each(COMMAND_TYPES.flatMap((type) => valid[type].map((body) => [type, body] as const)))('accepts a valid %s: %j', (type, body) => {
    const result = parseCommand(command(body));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.command.type).toBe(type);
  });

  it('applies the default intensity of setExpression', () => {
    const result = parseCommand(command({ type: 'setExpression', expression: 'sad' }));
    expect(result).toEqual({ ok: true, command: expect.objectContaining({ intensity: 1 }) as unknown });
    expect(result.ok && 'transitionMs' in result.command).toBe(false);
  });

  it.each([
    ['an unknown type', command({ type: 'dance' }), /unknown command type "dance"/],
    ['an event type', command({ type: 'ack' }), /unknown command type/],
    ['an extra field', command({ type: 'stop', force: true }), /unknown field force/],
    ['an extra field in audio', command({ type: 'speak', text: 'hi', audio: { sampleRateHz: 50, envelope: [1], gain: 2 } }), /gain/],
    ['no id', { ...envelope, type: 'stop' }, /id/],
    ['an id over 64 characters', command({ type: 'stop', id: 'x'.repeat(65) }), /id/],
    ['empty text', command({ type: 'speak', text: '' }), /text/],
    ['text over 2000 characters', command({ type: 'speak', text: 'x'.repeat(2001) }), /text: must be at most 2000 characters/],
    ['an envelope value over 1', command({ type: 'speak', text: 'hi', audio: { sampleRateHz: 50, envelope: [0.5, 1.5] } }), /envelope/],
    ['a sample rate under 8 Hz', command({ type: 'speak', text: 'hi', audio: { sampleRateHz: 4, envelope: [1] } }), /sampleRateHz/],
    ['a sample rate over 1000 Hz', command({ type: 'speak', text: 'hi', audio: { sampleRateHz: 44_100, envelope: [1] } }), /sampleRateHz/],
    [
      'an envelope over 100k values',
      command({ type: 'speak', text: 'hi', audio: { sampleRateHz: 100, envelope: new Array<number>(MAX_ENVELOPE_LENGTH + 1).fill(0) } }),
      /envelope/,
    ],
    ['an unknown expression', command({ type: 'setExpression', expression: 'angry' }), /expression/],
    ['an intensity over 1', command({ type: 'setExpression', expression: 'happy', intensity: 1.2 }), /intensity/],
    ['a transition over 5 s', command({ type: 'setExpression', expression: 'happy', transitionMs: 5001 }), /transitionMs/],
    ['a remote https model url', command({ type: 'load', url: 'https://evil.example/a.glb' }), /url/],
    ['a remote http model url', command({ type: 'load', url: 'http://localhost:9999/a.glb' }), /url/],
    ['a protocol-relative url', command({ type: 'load', url: '//evil.example/a.glb' }), /url/],
    ['an explicit undefined optional field', command({ type: 'load', url: undefined }), /url/],
    ['a string', 'hello', /not an aico.avatar message/],
    ['null', null, /not an aico.avatar message/],
    ['another protocol', { protocol: 'other', version: 1, type: 'stop', id: 'c1' }, /not an aico.avatar message/],
  ])('refuses %s with INVALID_MESSAGE', (_name, data, message) => {
    const result = parseCommand(data);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('INVALID_MESSAGE');
      expect(result.error.message).toMatch(message);
    }
  });

  it.each([2, 0, '1', undefined])('refuses version %p with UNSUPPORTED_VERSION', (version) => {
    const result = parseCommand({ ...command({ type: 'stop' }), version });
    expect(result).toEqual({
      ok: false,
      error: { code: 'UNSUPPORTED_VERSION', message: expect.stringContaining(`version ${AVATAR_PROTOCOL_VERSION}`) as unknown },
    });
  });
});

describe('isAllowedModelUrl', () => {
  it.each([
    '/avatar/models/default.glb',
    'models/a.glb',
    './a.glb',
    '../a.glb?v=2#x',
    'blob:https://aico.local/7b1c',
    'data:model/gltf-binary;base64,Z2xURg==',
  ])('allows %s', (url) => expect(isAllowedModelUrl(url)).toBe(true));
  it.each([
    '',
    'https://aico.local/a.glb',
    'HTTP://x/a.glb',
    '//evil.example/a.glb',
    '/\\evil.example/a.glb',
    '/\t/evil.example',
    ' https://x',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'ftp://x/a',
  ])('refuses %j', (url) => expect(isAllowedModelUrl(url)).toBe(false));
});

describe('parseEvent', () => {
  const valid: Record<(typeof EVENT_TYPES)[number], Record<string, unknown>> = {
    ready: { type: 'ready', model: { name: 'default', morphTargets: 72, bytes: 123_456 } },
    speechStart: { type: 'speechStart', id: 'c1', durationMs: 1234 },
    speechEnd: { type: 'speechEnd', id: 'c1', interrupted: false },
    ack: { type: 'ack', id: 'c1' },
    error: { type: 'error', code: 'MODEL_MISSING_MORPHS', message: 'missing viseme_PP', id: 'c1' },
    state: {
      type: 'state',
      id: 'c1',
      paused: false,
      speaking: true,
      expression: 'happy',
      morphs: { viseme_aa: 0.7, mouthSmileLeft: 0.8 },
      renderer: { geometries: 3, textures: 2, programs: 4 },
      heapBytes: 12_000_000,
      speechText: 'Hello there.',
    },
  };

  it.each(EVENT_TYPES.map((type) => [type, valid[type]] as const))('accepts a valid %s', (type, body) => {
    const result = parseEvent(event(body));
    expect(result.ok && result.event.type).toBe(type);
  });

  it.each([
    ['an unknown type', event({ type: 'blink' })],
    ['a command', event({ type: 'stop', id: 'c1' })],
    ['an unknown error code', event({ type: 'error', code: 'OOPS', message: 'x' })],
    ['an extra field', event({ ...valid.ack, extra: 1 })],
    ['a morph weight over 1', event({ ...valid.state, morphs: { viseme_aa: 2 } })],
    ['a renderer without programs', event({ ...valid.state, renderer: { geometries: 1, textures: 1 } })],
    ['a speechEnd without interrupted', event({ type: 'speechEnd', id: 'c1' })],
    ['a speech text longer than a speak command takes', event({ ...valid.state, speechText: 'x'.repeat(2001) })],
  ])('refuses %s with INVALID_MESSAGE', (_name, data) => {
    const result = parseEvent(data);
    expect(!result.ok && result.error.code).toBe('INVALID_MESSAGE');
  });

  it('refuses another version with UNSUPPORTED_VERSION', () => {
    const result = parseEvent({ ...event(valid.ack), version: 2 });
    expect(!result.ok && result.error.code).toBe('UNSUPPORTED_VERSION');
  });
});
