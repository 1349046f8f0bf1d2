// A generate request checked and filled in with the service's defaults: what to complete (a raw prompt, or chat
// messages), with which model, how to sample, when to stop, and how the monitor should admit it. Bad input is
// refused here with INVALID_ARGUMENT and a message that names the field, before anything waits or loads.
import { JobClass, ModelPurpose, type GenerateRequest } from '@aico/contracts';
import { ModelsError, ModelsErrorCode } from '../models.error';
import type { ModelQuery } from '../engine/model-resolver';

export type ChatRole = 'system' | 'user' | 'assistant';

export type GenerationInput =
  | { readonly kind: 'raw'; readonly prompt: string }
  | { readonly kind: 'chat'; readonly messages: readonly { readonly role: ChatRole; readonly content: string }[] };

export interface GenerationSpec {
  readonly input: GenerationInput;
  readonly model: ModelQuery;
  readonly maxTokens: number;
  /** 0: greedy. */
  readonly temperature: number;
  readonly topP: number | undefined;
  readonly topK: number | undefined;
  readonly seed: number | undefined;
  readonly stop: readonly string[];
  /** The parsed JSON schema the output must follow. */
  readonly jsonSchema: Readonly<Record<string, unknown>> | undefined;
  readonly jobClass: JobClass;
  readonly priority: number;
}

export interface SpecDefaults {
  readonly maxTokens: number;
  readonly temperature: number;
}

const MAX_STOP_STRINGS = 16;
const MAX_STOP_LENGTH = 256;
const MAX_SCHEMA_LENGTH = 64 * 1024;
const ROLES = new Set<string>(['system', 'user', 'assistant']);

function invalid(message: string, field: string): ModelsError {
  return new ModelsError(ModelsErrorCode.InvalidArgument, message, { field });
}

export function toGenerationSpec(request: GenerateRequest, defaults: SpecDefaults): GenerationSpec {
  let input: GenerationInput;
  switch (request.input.case) {
    case 'prompt':
      if (request.input.value === '') throw invalid('The prompt is empty: give a text to complete.', 'prompt');
      input = { kind: 'raw', prompt: request.input.value };
      break;
    case 'chat':
      input = toChatInput(request.input.value.messages);
      break;
    case undefined:
      throw invalid('Give either a chat or a raw prompt.', 'input');
  }
  const temperature = request.temperature ?? defaults.temperature;
  if (!Number.isFinite(temperature) || temperature < 0 || temperature > 2)
    throw invalid(`temperature must be from 0 (greedy) to 2, not ${temperature}.`, 'temperature');
  if (request.topP !== undefined && (!Number.isFinite(request.topP) || request.topP <= 0 || request.topP > 1))
    throw invalid(`top_p must be above 0 and at most 1, not ${request.topP}.`, 'top_p');
  if (request.stop.length > MAX_STOP_STRINGS) throw invalid(`At most ${MAX_STOP_STRINGS} stop strings, not ${request.stop.length}.`, 'stop');
  for (const [index, stop] of request.stop.entries()) {
    if (stop === '' || stop.length > MAX_STOP_LENGTH) throw invalid(`stop[${index}] must be 1 to ${MAX_STOP_LENGTH} characters long.`, `stop[${index}]`);
  }
  if (request.priority < -1000 || request.priority > 1000) throw invalid(`priority must be from -1000 to 1000, not ${request.priority}.`, 'priority');
  return {
    input,
    model: { name: request.model, purpose: request.purpose === ModelPurpose.UNSPECIFIED ? ModelPurpose.CHAT : request.purpose },
    maxTokens: request.maxTokens > 0 ? request.maxTokens : defaults.maxTokens,
    temperature,
    topP: request.topP,
    topK: request.topK,
    seed: request.seed,
    stop: request.stop,
    jsonSchema: parseSchema(request.jsonSchema),
    jobClass: request.jobClass === JobClass.UNSPECIFIED ? JobClass.INTERACTIVE : request.jobClass,
    priority: request.priority,
  };
}

/** Chat messages checked: known roles, at least one user message, not ending with a system message. */
export function toChatInput(raw: readonly { readonly role: string; readonly content: string }[]): Extract<GenerationInput, { kind: 'chat' }> {
  const messages = raw.map((message, index) => {
    if (!ROLES.has(message.role))
      throw invalid(`chat.messages[${index}].role is "${message.role.slice(0, 40)}"; it must be system, user or assistant.`, `chat.messages[${index}].role`);
    return { role: message.role as ChatRole, content: message.content };
  });
  if (messages.length === 0) throw invalid('The chat has no messages: give at least one user message.', 'chat.messages');
  if (messages.at(-1)!.role === 'system')
    throw invalid('The chat ends with a system message: end it with a user message (or an assistant message to continue).', 'chat.messages');
  if (!messages.some((message) => message.role === 'user')) throw invalid('The chat has no user message.', 'chat.messages');
  return { kind: 'chat', messages };
}

function parseSchema(text: string): Readonly<Record<string, unknown>> | undefined {
  if (text === '') return undefined;
  if (text.length > MAX_SCHEMA_LENGTH) throw invalid(`json_schema is ${text.length} characters; at most ${MAX_SCHEMA_LENGTH}.`, 'json_schema');
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    throw invalid(`json_schema is not JSON: ${(error as Error).message}`, 'json_schema');
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
    throw invalid('json_schema must be a JSON object (a JSON schema).', 'json_schema');
  return schema as Record<string, unknown>;
}
