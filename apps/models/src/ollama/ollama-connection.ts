// The way to an Ollama server (the `ollama` npm client): a client per call whose HTTP requests end when the call's
// signal aborts (the server sees the connection close and stops generating), and Ollama's failures turned into the
// models service's error codes — a server that does not answer, an unknown model, anything else it refuses.
import { Ollama } from 'ollama';
import { ModelsError, ModelsErrorCode } from '../models.error';

export class OllamaConnection {
  constructor(readonly url: string) {}

  /** A client whose every request is aborted by `signal`. */
  client(signal?: AbortSignal): Ollama {
    if (!signal) return new Ollama({ host: this.url });
    const abortable: typeof fetch = (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
    return new Ollama({ host: this.url, fetch: abortable });
  }

  /** Ollama's failure as a ModelsError (an abort is passed on as it is: the caller knows why it aborted). */
  failure(error: unknown, model?: string): unknown {
    if (error instanceof ModelsError) return error;
    if (isAbort(error)) return error;
    const status = (error as { status_code?: unknown }).status_code;
    const message = (error as Error)?.message ?? String(error);
    if (typeof status === 'number') {
      if (status === 404 && model !== undefined) {
        return new ModelsError(
          ModelsErrorCode.UnknownModel,
          `Ollama at ${this.url} has no model "${model}" (${message.slice(0, 300)}); pull it with \`ollama pull ${model}\`, or name one that \`ollama list\` shows.`,
          { model },
        );
      }
      if (status === 400) return new ModelsError(ModelsErrorCode.InvalidArgument, `Ollama at ${this.url} refused the request: ${message.slice(0, 500)}`);
      return new ModelsError(ModelsErrorCode.LoadFailed, `Ollama at ${this.url} failed (HTTP ${status}): ${message.slice(0, 500)}`);
    }
    // fetch's own failures (refused, reset, cut short) are TypeErrors (by name: jest runs tests in another realm); other errors are Ollama's words in a stream.
    if ((error as Error)?.name !== 'TypeError') return new ModelsError(ModelsErrorCode.LoadFailed, `Ollama at ${this.url} failed: ${message.slice(0, 500)}`);
    return new ModelsError(
      ModelsErrorCode.BackendUnavailable,
      `Ollama at ${this.url} does not answer (${message.slice(0, 200)}${causeOf(error)}): is Ollama running? (ollama serve)`,
      { url: this.url },
    );
  }
}

export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (!cause) return '';
  return `: ${typeof cause.code === 'string' ? cause.code : String(cause.message ?? '')}`;
}
