// A loopback HTTP server speaking the part of Ollama's documented REST API the models service uses (docs/api.md of
// ollama/ollama: NDJSON streams from /api/generate and /api/chat ending in a `done` chunk with done_reason,
// prompt_eval_count, eval_count and durations in nanoseconds; /api/embed; /api/ps; 404 {"error": ...} for a model
// it does not have; an empty generate with keep_alive 0 unloads). The edge of a unit test: no real Ollama can be
// installed on this machine (docs/architecture.md §9). It records every request, and whether a streaming one was closed by the
// client before it ended.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  readonly path: string;
  readonly body: Record<string, unknown>;
  /** Whether the client closed the connection before the response ended. */
  closedEarly: boolean;
}

export interface FakeOllamaScript {
  /** The text chunks a generation streams. */
  chunks: string[];
  doneReason: string;
  /** After the chunks, hold the stream open (no last chunk) until the client goes away. */
  hang: boolean;
  /** The models Ollama has (others answer 404). */
  models: string[];
  /** The models /api/ps lists as loaded. */
  loaded: string[];
}

export class FakeOllamaServer {
  readonly requests: SeenRequest[] = [];
  readonly script: FakeOllamaScript = {
    chunks: ['Hello', ',', ' world'],
    doneReason: 'stop',
    hang: false,
    models: ['llama3.2:3b', 'nomic-embed-text'],
    loaded: [],
  };
  private readonly closeListeners: (() => void)[] = [];
  private readonly server: Server = createServer((request, response) => void this.handle(request, response));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Resolves once some request has been closed early by the client. */
  closedEarly(): Promise<SeenRequest> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        const seen = this.requests.find((request) => request.closedEarly);
        if (seen) resolve(seen);
        return seen !== undefined;
      };
      if (!check()) this.closeListeners.push(() => void check());
    });
  }

  /** Resolves once `count` text chunks of a streaming request were written. */
  private chunkWaiters: { count: number; resolve: () => void }[] = [];
  private chunksWritten = 0;
  chunksSent(count: number): Promise<void> {
    if (this.chunksWritten >= count) return Promise.resolve();
    return new Promise((resolve) => this.chunkWaiters.push({ count, resolve }));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of request) text += String(chunk);
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    const seen: SeenRequest = { path: request.url ?? '', body, closedEarly: false };
    this.requests.push(seen);
    response.on('close', () => {
      if (!response.writableFinished) {
        seen.closedEarly = true;
        for (const listener of this.closeListeners.splice(0)) listener();
      }
    });
    const model = String(body['model'] ?? '');
    if (seen.path === '/api/ps') return json(response, 200, { models: this.script.loaded.map((name) => psEntry(name)) });
    if (!this.script.models.includes(model)) return json(response, 404, { error: `model "${model}" not found, try pulling it first` });
    if (seen.path === '/api/embed') {
      const input = body['input'] as string[];
      return json(response, 200, {
        model,
        embeddings: input.map((entry, index) => [entry.length, index, 0.5]),
        total_duration: 1000,
        load_duration: 10,
        prompt_eval_count: input.length,
      });
    }
    if (seen.path === '/api/generate' && body['keep_alive'] === 0 && body['prompt'] === '') {
      this.script.loaded = this.script.loaded.filter((name) => name !== model);
      return json(response, 200, { model, created_at: new Date().toISOString(), response: '', done: true, done_reason: 'unload' });
    }
    const chat = seen.path === '/api/chat';
    if (!chat && seen.path !== '/api/generate') return json(response, 404, { error: 'not found' });
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const part = (content: string, done: boolean, extra: Record<string, unknown> = {}): string =>
      `${JSON.stringify({ model, created_at: new Date().toISOString(), ...(chat ? { message: { role: 'assistant', content } } : { response: content }), done, ...extra })}\n`;
    for (const chunk of this.script.chunks) {
      response.write(part(chunk, false));
      this.chunksWritten += 1;
      for (const waiter of this.chunkWaiters.filter((entry) => entry.count <= this.chunksWritten)) waiter.resolve();
    }
    if (this.script.hang) return; // held open until the client closes it
    response.end(
      part('', true, {
        done_reason: this.script.doneReason,
        total_duration: 5_000_000,
        load_duration: 1_000_000,
        prompt_eval_count: 7,
        prompt_eval_duration: 1_000_000,
        eval_count: this.script.chunks.length,
        eval_duration: 2_000_000,
      }),
    );
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function psEntry(name: string) {
  return {
    name,
    model: name,
    size: 2_019_393_189,
    digest: 'a80c4f17acd5',
    details: { parent_model: '', format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '3.2B', quantization_level: 'Q4_K_M' },
    expires_at: '2030-01-01T00:05:00Z',
    size_vram: 0,
  };
}
