// The prompt log (models.promptLogFile): one JSON line per prompt, in a file only its user may read; a chat rendered
// through the model's chat template (a real generated model and the real engine), so the file holds exactly the text
// the model received.
import { mkdtempSync, rmSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureLogger } from '@aico/logging';
import { importNodeLlamaCpp, makeTestModel, openTestEngine, type TestEngine } from '../catalog/testing/test-models.test-helpers';
import { PromptLog } from './prompt-log';
import { countPromptTokens, renderPrompt } from './prompt-tokens';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'aico-prompt-log-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PromptLog', () => {
  it('appends one JSON line per prompt to a file of mode 0600, even one that existed readable by others', async () => {
    const file = join(dir, 'prompts.jsonl');
    writeFileSync(file, '', { mode: 0o644 });
    const { logger, lines } = captureLogger('models');
    const log = new PromptLog(file, logger);
    log.write({ generation: 'g1', requester: 'conversation', model: 'm', prompt: 'first\nprompt' });
    log.write({ generation: 'g2', requester: 'cli', model: 'm', prompt: 'second' });
    await log.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const entries = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toEqual([
      expect.objectContaining({ generation: 'g1', requester: 'conversation', model: 'm', prompt: 'first\nprompt' }),
      expect.objectContaining({ generation: 'g2', prompt: 'second' }),
    ]);
    expect(lines.some((line) => line.level === 40 && String(line.msg).startsWith('models.promptLogFile is set'))).toBe(true);
  });

  it('reports a file it cannot write by its code, and the service goes on', async () => {
    const { logger, lines } = captureLogger('models');
    const log = new PromptLog(join(dir, 'no-such-dir', 'prompts.jsonl'), logger);
    log.write({ generation: 'g', requester: 'r', model: 'm', prompt: 'secret words' });
    await log.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.find((line) => line.msg === 'Prompt log not written')).toMatchObject({ code: 'ENOENT' });
    expect(JSON.stringify(lines)).not.toContain('secret words');
  });
});

describe('renderPrompt', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await openTestEngine({ maxThreads: 1 });
  });
  afterAll(() => engine.close());

  it('renders a chat through the model’s template (the text counted is the text logged) and a raw prompt as is', async () => {
    const model = await engine.llama.loadModel({ modelPath: makeTestModel(join(dir, 'chat.gguf')).path });
    try {
      const api = await importNodeLlamaCpp();
      const input = {
        kind: 'chat' as const,
        messages: [
          { role: 'system' as const, content: 'You are kind.' },
          { role: 'user' as const, content: 'my cat is Miso' },
        ],
      };
      const rendered = renderPrompt(api, model, input);
      expect(rendered).toContain('You are kind.');
      expect(rendered).toContain('my cat is Miso');
      expect(rendered).not.toBe('You are kind.my cat is Miso');
      expect(countPromptTokens(api, model, input)).toBeGreaterThan(0);
      expect(renderPrompt(api, model, { kind: 'raw', prompt: 'complete this' })).toBe('complete this');
    } finally {
      await model.dispose();
    }
  });
});
