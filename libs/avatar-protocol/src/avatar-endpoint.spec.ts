import { type AvatarReply, AvatarEndpoint } from './avatar-endpoint';
import { AvatarHost } from './avatar-host';
import { TestWindow } from './test-window';

const OWN_ORIGIN = 'https://avatar.aico.local';
const HOST_ORIGIN = 'https://aico.local';
const OTHER_HOST_ORIGIN = 'app://aico';
const envelope = { protocol: 'aico.avatar', version: 1 } as const;

function newTestEndpoint() {
  const page = new TestWindow(); // the avatar page's window: where commands arrive
  const parent = new TestWindow(); // window.parent: where events go
  const sut = new AvatarEndpoint({ allowedOrigins: [HOST_ORIGIN, OTHER_HOST_ORIGIN], listen: page, parent, ownOrigin: OWN_ORIGIN });
  const commands = jest.fn();
  sut.onCommand(commands);
  const fromHost = (data: unknown, origin = HOST_ORIGIN) => page.dispatch(data, origin, parent);
  return { sut, mocks: { page, parent, commands }, fromHost };
}

describe('AvatarEndpoint', () => {
  it('hands valid commands from an allowed origin to the handler, with defaults applied', () => {
    const { mocks, fromHost } = newTestEndpoint();
    fromHost({ ...envelope, type: 'setExpression', id: 'c1', expression: 'sad' });
    expect(mocks.commands).toHaveBeenCalledWith({ ...envelope, type: 'setExpression', id: 'c1', expression: 'sad', intensity: 1 }, expect.anything());
  });

  it("accepts the page's own origin", () => {
    const { mocks, fromHost } = newTestEndpoint();
    fromHost({ ...envelope, type: 'inspect', id: 'c1' }, OWN_ORIGIN);
    expect(mocks.commands).toHaveBeenCalledTimes(1);
  });

  it.each(['https://evil.example', 'https://aico.local:8443', 'http://aico.local', 'null', 'https://aico.local.evil.example'])(
    'ignores a command from %s without answering',
    (origin) => {
      const { sut, mocks, fromHost } = newTestEndpoint();
      fromHost({ ...envelope, type: 'dispose', id: 'c1' }, origin);
      expect(mocks.commands).not.toHaveBeenCalled();
      expect(mocks.parent.posted).toEqual([]);
      expect(sut.ignored).toBe(1);
    },
  );

  it("never allows the opaque 'null' origin, even when listed", () => {
    const page = new TestWindow();
    const parent = new TestWindow();
    const sut = new AvatarEndpoint({ allowedOrigins: ['null', '*'], listen: page, parent, ownOrigin: OWN_ORIGIN });
    const commands = jest.fn();
    sut.onCommand(commands);
    page.dispatch({ ...envelope, type: 'stop', id: 'c1' }, 'null');
    expect(commands).not.toHaveBeenCalled();
    sut.emit({ type: 'ready', model: { name: 'default', morphTargets: 72 } });
    expect(parent.posted.map((posted) => posted.targetOrigin)).toEqual([OWN_ORIGIN]);
  });

  it('answers an invalid command with INVALID_MESSAGE to its origin, naming its id', () => {
    const { mocks, fromHost } = newTestEndpoint();
    fromHost({ ...envelope, type: 'speak', id: 'c7', text: 'x'.repeat(2001) }, OTHER_HOST_ORIGIN);
    expect(mocks.commands).not.toHaveBeenCalled();
    expect(mocks.parent.posted).toEqual([
      {
        message: { ...envelope, type: 'error', id: 'c7', code: 'INVALID_MESSAGE', message: expect.stringContaining('text') as unknown },
        targetOrigin: OTHER_HOST_ORIGIN,
      },
    ]);
  });

  it('answers a wrong version with UNSUPPORTED_VERSION', () => {
    const { mocks, fromHost } = newTestEndpoint();
    fromHost({ ...envelope, version: 2, type: 'stop', id: 'c1' });
    expect(mocks.parent.posted).toEqual([
      { message: expect.objectContaining({ type: 'error', id: 'c1', code: 'UNSUPPORTED_VERSION' }) as unknown, targetOrigin: HOST_ORIGIN },
    ]);
  });

  it('stays silent on other postMessage traffic and on its own events echoed back', () => {
    const { sut, mocks, fromHost } = newTestEndpoint();
    fromHost({ source: 'react-devtools-bridge', payload: {} });
    fromHost('webpackHotUpdate');
    fromHost({ ...envelope, type: 'error', code: 'INVALID_MESSAGE', message: 'x' }, OWN_ORIGIN);
    fromHost({ ...envelope, type: 'ready', model: { name: 'default', morphTargets: 72 } }, OWN_ORIGIN);
    expect(mocks.parent.posted).toEqual([]);
    expect(sut.ignored).toBe(4);
  });

  it('replies ack, error and state once each command, to the origin that sent it', () => {
    const { mocks, fromHost } = newTestEndpoint();
    mocks.commands.mockImplementation((command: { type: string }, reply: AvatarReply) => {
      if (command.type === 'stop') {
        reply.ack();
        reply.ack();
      }
      if (command.type === 'load') reply.error('MODEL_LOAD_FAILED', 'could not read the model');
      if (command.type === 'inspect')
        reply.state({ paused: true, speaking: false, expression: 'neutral', morphs: { viseme_sil: 1 }, renderer: { geometries: 2, textures: 1, programs: 3 } });
    });
    fromHost({ ...envelope, type: 'stop', id: 'a' });
    fromHost({ ...envelope, type: 'load', id: 'b' }, OTHER_HOST_ORIGIN);
    fromHost({ ...envelope, type: 'inspect', id: 'c' });
    expect(mocks.parent.posted).toEqual([
      { message: { ...envelope, type: 'ack', id: 'a' }, targetOrigin: HOST_ORIGIN },
      { message: { ...envelope, type: 'error', id: 'b', code: 'MODEL_LOAD_FAILED', message: 'could not read the model' }, targetOrigin: OTHER_HOST_ORIGIN },
      {
        message: {
          ...envelope,
          type: 'state',
          id: 'c',
          paused: true,
          speaking: false,
          expression: 'neutral',
          morphs: { viseme_sil: 1 },
          renderer: { geometries: 2, textures: 1, programs: 3 },
        },
        targetOrigin: HOST_ORIGIN,
      },
    ]);
  });

  it('emits to each allowed origin (never "*") until a host speaks, then to that host only', () => {
    const { sut, mocks, fromHost } = newTestEndpoint();
    sut.emit({ type: 'ready', model: { name: 'default', morphTargets: 72 } });
    expect(mocks.parent.posted.map((posted) => posted.targetOrigin)).toEqual([HOST_ORIGIN, OTHER_HOST_ORIGIN, OWN_ORIGIN]);
    fromHost({ ...envelope, type: 'speak', id: 's1', text: 'hi' }, OTHER_HOST_ORIGIN);
    mocks.parent.posted.length = 0;
    sut.emit({ type: 'speechStart', id: 's1', durationMs: 400 });
    expect(mocks.parent.posted).toEqual([{ message: { ...envelope, type: 'speechStart', id: 's1', durationMs: 400 }, targetOrigin: OTHER_HOST_ORIGIN }]);
  });

  it('stops listening and emitting once disposed', () => {
    const { sut, mocks, fromHost } = newTestEndpoint();
    sut.dispose();
    fromHost({ ...envelope, type: 'stop', id: 'a' });
    sut.emit({ type: 'ready', model: { name: 'default', morphTargets: 72 } });
    expect(mocks.commands).not.toHaveBeenCalled();
    expect(mocks.parent.posted).toEqual([]);
    expect(mocks.page.listenerCount).toBe(0);
  });

  it('talks to an AvatarHost end to end', async () => {
    const hostWindow = new TestWindow();
    const avatarWindow = new TestWindow();
    // Each side's postMessage delivers to the other's listeners with the sender's origin and window.
    const toAvatar = { postMessage: (message: unknown) => avatarWindow.dispatch(structuredClone(message), HOST_ORIGIN, hostWindow) };
    const toHost = {
      postMessage: (message: unknown, origin: string) => origin === HOST_ORIGIN && hostWindow.dispatch(structuredClone(message), OWN_ORIGIN, avatarWindow),
    };
    const endpoint = new AvatarEndpoint({ allowedOrigins: [HOST_ORIGIN], listen: avatarWindow, parent: toHost, ownOrigin: OWN_ORIGIN });
    endpoint.onCommand((command, reply) => {
      if (command.type === 'speak') {
        reply.ack();
        endpoint.emit({ type: 'speechStart', id: command.id, durationMs: 640 });
      } else reply.error('NOT_READY', 'the avatar is still loading');
    });
    const host = new AvatarHost(toAvatar, { avatarOrigin: OWN_ORIGIN, listen: hostWindow, source: avatarWindow });
    const started = jest.fn();
    host.on('speechStart', started);
    await expect(host.send({ type: 'speak', text: 'Hello there' })).resolves.toMatchObject({ type: 'ack' });
    expect(started).toHaveBeenCalledWith(expect.objectContaining({ durationMs: 640 }));
    await expect(host.send({ type: 'stop' })).rejects.toMatchObject({ code: 'NOT_READY' });
    host.dispose();
    endpoint.dispose();
  });
});
