// The whole supervised system as a person starts it to chat: `aico setup` and `aico start`, a generated chat model
// (context 4096, nothing downloaded) imported and used for chat, and a client of its gateway. The monitor admits every
// generation (admission is tested elsewhere); the models app decodes on one thread (tests share the cores).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NORMAL_MONITOR_ENV } from '../models/models-stack';
import { GatewayClient } from './gateway-client';
import { RunningSystem, type SystemUser } from './system';
import { makeTestModelFile } from './test-models';

export async function startSystemWithChatModel(
  dir: string,
  options: { readonly password: string; readonly users: readonly SystemUser[] },
): Promise<{ system: RunningSystem; api: GatewayClient }> {
  const model = await makeTestModelFile(join(dir, 'tiny.gguf'), '--context', '4096');
  const system = await RunningSystem.start({
    password: options.password,
    users: options.users,
    env: { ...NORMAL_MONITOR_ENV, AICO_MODELS__GPU: 'cpu', AICO_MODELS__THREADS: '1', AICO_MODELS__MAX_CONTEXT_SIZE: '4096' },
  });
  try {
    await system.aico(['models', 'import', model.path, '--name', 'tiny']);
    await system.aico(['models', 'use', 'tiny']);
    return { system, api: new GatewayClient(system.baseUrl, await readFile(join(system.env['AICO_DATA_DIR']!, 'gateway', 'tls-cert.pem'), 'utf8')) };
  } catch (error) {
    await system.stop();
    throw error;
  }
}
