// The avatar page: one stage, driven by the host through the postMessage bridge (libs/avatar-protocol). It loads
// the default avatar at once and says `ready`; `load` swaps the model, `dispose` frees everything (a later `load`
// builds a new stage, so a host can cycle without reloading the page). Hosts other than this origin are allowed by
// `?origins=https://a,https://b` (a WebView's own origin, for instance); anything else is ignored.
import { AvatarEndpoint, type AvatarCommand, type AvatarErrorCode, type AvatarReply } from '@aico/avatar-protocol';
import { AvatarError, AvatarStage } from './stage/avatar-stage';

const DEFAULT_MODEL = `${import.meta.env.BASE_URL}models/default.glb`;
const params = new URLSearchParams(location.search);
const allowedOrigins = [location.origin, ...(params.get('origins') ?? '').split(',').filter((origin) => origin !== '')];

const endpoint = new AvatarEndpoint({ allowedOrigins, listen: window, parent: window.parent });
let stage: AvatarStage | undefined;

function stageNow(): AvatarStage {
  stage ??= new AvatarStage({ host: document.body });
  return stage;
}

/**
 * Loads a model; says `ready` (with the command's id when a host asked, and an ack so its request completes) or an
 * error naming what went wrong. A refused model leaves the current avatar in place.
 */
async function load(url: string, command?: { id: string; reply: AvatarReply }): Promise<void> {
  const fail = (code: AvatarErrorCode, message: string) => (command ? command.reply.error(code, message) : endpoint.emit({ type: 'error', code, message }));
  let current: AvatarStage;
  try {
    current = stageNow();
  } catch (error) {
    fail('INTERNAL', `This browser cannot draw the avatar (no WebGL 2): ${(error as Error).message}`);
    return;
  }
  try {
    const model = await current.load(url);
    endpoint.emit({ type: 'ready', ...(command ? { id: command.id } : {}), model });
    command?.reply.ack();
  } catch (error) {
    fail(error instanceof AvatarError ? error.code : 'MODEL_LOAD_FAILED', (error as Error).message);
  }
}

endpoint.onCommand((command: AvatarCommand, reply) => {
  switch (command.type) {
    case 'load':
      void load(command.url ?? DEFAULT_MODEL, { id: command.id, reply });
      return;
    case 'dispose':
      stage?.dispose();
      stage = undefined;
      reply.ack();
      return;
    case 'inspect':
      reply.state({
        ...(stage?.state ?? { paused: false, speaking: false, expression: 'neutral', morphs: {}, renderer: { geometries: 0, textures: 0, programs: 0 } }),
        ...heap(),
      });
      return;
    default:
      break;
  }
  if (!stage) {
    reply.error('NOT_READY', 'No avatar is loaded: send "load" first.');
    return;
  }
  switch (command.type) {
    case 'speak': {
      const id = command.id;
      const durationMs = stage.speak(id, command.text, command.audio, (interrupted) => endpoint.emit({ type: 'speechEnd', id, interrupted }));
      endpoint.emit({ type: 'speechStart', id, durationMs });
      return;
    }
    case 'stop':
      stage.stop();
      reply.ack();
      return;
    case 'setExpression':
      stage.setExpression(command.expression, command.intensity ?? 1, command.transitionMs ?? 300);
      reply.ack();
      return;
    case 'pause':
      stage.pause();
      reply.ack();
      return;
    case 'resume':
      stage.resume();
      reply.ack();
      return;
  }
});

/** Chromium's heap figure, where the browser gives one. */
function heap(): { heapBytes?: number } {
  const memory = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
  return memory ? { heapBytes: memory.usedJSHeapSize } : {};
}

if (params.get('autoload') !== '0') void load(DEFAULT_MODEL);
