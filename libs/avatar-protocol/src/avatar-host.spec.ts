import { AvatarCommandError, AvatarHost } from './avatar-host';
import { TestWindow } from './test-window';

const AVATAR_ORIGIN = 'https://aico.local';
const envelope = { protocol: 'aico.avatar', version: 1 } as const;

function newTestHost(options: { timeoutMs?: number; withSource?: boolean } = {}) {
  const frame = new TestWindow(); // the iframe's contentWindow: where commands go, and the source of events
  const host = new TestWindow(); // the host page's window: where events arrive
  const sut = new AvatarHost(frame, {
    avatarOrigin: AVATAR_ORIGIN,
    listen: host,
    ...(options.withSource === false ? {} : { source: frame }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  const lastId = (): string => (frame.posted.at(-1)?.message as { id: string }).id;
  const fromAvatar = (body: Record<string, unknown>, origin = AVATAR_ORIGIN, source: unknown = frame) =>
    host.dispatch({ ...envelope, ...body }, origin, source);
  return { sut, mocks: { frame, host }, lastId, fromAvatar };
}

describe('AvatarHost', () => {
  afterEach(() => jest.useRealTimers());

  it('posts commands in the protocol envelope, with fresh ids, to the avatar origin only', () => {
    const { sut, mocks } = newTestHost();
    void sut.send({ type: 'setExpression', expression: 'happy' }).catch(() => undefined);
    void sut.send({ type: 'stop' }).catch(() => undefined);
    expect(mocks.frame.posted).toEqual([
      { message: { ...envelope, type: 'setExpression', expression: 'happy', id: expect.any(String) as unknown }, targetOrigin: AVATAR_ORIGIN },
      { message: { ...envelope, type: 'stop', id: expect.any(String) as unknown }, targetOrigin: AVATAR_ORIGIN },
    ]);
    const ids = mocks.frame.posted.map((posted) => (posted.message as { id: string }).id);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) expect(id.length).toBeLessThanOrEqual(64);
    sut.dispose();
  });

  it('resolves a command on the ack with its id, and not on another id', async () => {
    const { sut, lastId, fromAvatar } = newTestHost();
    const settled = jest.fn();
    const reply = sut.send({ type: 'pause' }).then(settled);
    const id = lastId();
    fromAvatar({ type: 'ack', id: 'someone-else' });
    await Promise.resolve();
    expect(settled).not.toHaveBeenCalled();
    fromAvatar({ type: 'ack', id });
    await reply;
    expect(settled).toHaveBeenCalledWith({ ...envelope, type: 'ack', id });
  });

  it('resolves inspect with the state event', async () => {
    const { sut, lastId, fromAvatar } = newTestHost();
    const reply = sut.send({ type: 'inspect' });
    const state = {
      type: 'state',
      id: lastId(),
      paused: false,
      speaking: false,
      expression: 'neutral',
      morphs: {},
      renderer: { geometries: 1, textures: 0, programs: 1 },
    };
    fromAvatar(state);
    await expect(reply).resolves.toEqual({ ...envelope, ...state });
  });

  it('rejects a command on the error with its id, carrying the code', async () => {
    const { sut, lastId, fromAvatar } = newTestHost();
    const reply = sut.send({ type: 'load', url: '/avatar/models/broken.glb' });
    fromAvatar({ type: 'error', id: lastId(), code: 'MODEL_MISSING_MORPHS', message: 'the model lacks viseme_PP' });
    await expect(reply).rejects.toMatchObject({ name: 'AvatarCommandError', code: 'MODEL_MISSING_MORPHS', message: 'the model lacks viseme_PP' });
  });

  it('rejects with TIMEOUT when the avatar does not answer in time', async () => {
    jest.useFakeTimers();
    const { sut } = newTestHost({ timeoutMs: 500 });
    const reply = sut.send({ type: 'resume' });
    jest.advanceTimersByTime(499);
    const early = jest.fn();
    reply.catch(early);
    await Promise.resolve();
    expect(early).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    await expect(reply).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('refuses an invalid command without posting it', async () => {
    const { sut, mocks } = newTestHost();
    await expect(sut.send({ type: 'load', url: 'https://cdn.example/a.glb' })).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    await expect(sut.send({ type: 'speak', text: '' })).rejects.toBeInstanceOf(AvatarCommandError);
    expect(mocks.frame.posted).toEqual([]);
  });

  it('ignores messages from another origin, another window, or that are not valid events', async () => {
    const { sut, mocks, lastId, fromAvatar } = newTestHost({ timeoutMs: 1000 });
    const ready = jest.fn();
    sut.on('ready', ready);
    const reply = sut.send({ type: 'stop' });
    const id = lastId();
    fromAvatar({ type: 'ack', id }, 'https://evil.example');
    fromAvatar({ type: 'ack', id }, AVATAR_ORIGIN, new TestWindow());
    fromAvatar({ type: 'ready', model: { name: 'x', morphTargets: 1 } }, 'https://evil.example');
    fromAvatar({ type: 'ack', id, extra: true });
    fromAvatar({ type: 'ack', id, version: 2 });
    mocks.host.dispatch('not a protocol message', AVATAR_ORIGIN, mocks.frame);
    expect(sut.ignored).toBe(6);
    expect(ready).not.toHaveBeenCalled();
    fromAvatar({ type: 'ack', id });
    await expect(reply).resolves.toMatchObject({ type: 'ack', id });
  });

  it('without a source window, checks the origin alone', () => {
    const { sut, fromAvatar } = newTestHost({ withSource: false });
    const ready = jest.fn();
    sut.on('ready', ready);
    fromAvatar({ type: 'ready', model: { name: 'default', morphTargets: 72 } }, AVATAR_ORIGIN, null);
    expect(ready).toHaveBeenCalledTimes(1);
    expect(sut.ignored).toBe(0);
  });

  it('delivers events to handlers by type until unsubscribed', () => {
    const { sut, fromAvatar } = newTestHost();
    const started = jest.fn();
    const ended = jest.fn();
    const off = sut.on('speechStart', started);
    sut.on('speechEnd', ended);
    fromAvatar({ type: 'speechStart', id: 's1', durationMs: 1200 });
    fromAvatar({ type: 'speechEnd', id: 's1', interrupted: true });
    off();
    fromAvatar({ type: 'speechStart', id: 's2', durationMs: 300 });
    expect(started).toHaveBeenCalledTimes(1);
    expect(started).toHaveBeenCalledWith(expect.objectContaining({ id: 's1', durationMs: 1200 }));
    expect(ended).toHaveBeenCalledWith(expect.objectContaining({ id: 's1', interrupted: true }));
  });

  it('passes errors without an id to error handlers', () => {
    const { sut, fromAvatar } = newTestHost();
    const errors = jest.fn();
    sut.on('error', errors);
    fromAvatar({ type: 'error', code: 'MODEL_LOAD_FAILED', message: 'could not read the model' });
    expect(errors).toHaveBeenCalledWith(expect.objectContaining({ code: 'MODEL_LOAD_FAILED' }));
  });

  it('on dispose, stops listening and rejects pending and later commands with DISPOSED', async () => {
    const { sut, mocks } = newTestHost();
    const reply = sut.send({ type: 'stop' });
    expect(mocks.host.listenerCount).toBe(1);
    sut.dispose();
    expect(mocks.host.listenerCount).toBe(0);
    await expect(reply).rejects.toMatchObject({ code: 'DISPOSED' });
    await expect(sut.send({ type: 'stop' })).rejects.toMatchObject({ code: 'DISPOSED' });
  });

  it("refuses '*' as the avatar origin", () => {
    expect(() => new AvatarHost(new TestWindow(), { avatarOrigin: '*', listen: new TestWindow() })).toThrow(/exact origin/);
  });
});
