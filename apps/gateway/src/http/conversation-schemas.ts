// Request and answer schemas of the conversation, persona, memory, models and first-run routes. Answers are the
// protobuf JSON of the contract's messages (protoJsonSchema reads them from the descriptors), so the OpenAPI document
// and the web client's types say exactly what the services answer.
import { MAX_CONVERSATION_MESSAGE_CHARS, MAX_MEMORY_FACT_CHARS, PERSONA_EXPRESSIONS, PERSONA_LIMITS } from '@aico/contracts';
import {
  DeleteThreadResponseSchema,
  ForgetMemoryResponseSchema,
  GetThreadResponseSchema,
  ListMemoryResponseSchema,
  ListMessagesResponseSchema,
  ListModelsResponseSchema,
  ListThreadsResponseSchema,
  MemoryFactResponseSchema,
  ImportModelResponseSchema,
  ModelsStatusResponseSchema,
  PersonaResponseSchema,
  RemoveModelResponseSchema,
  StopReplyResponseSchema,
  ThreadSchema,
  UseModelResponseSchema,
} from '@aico/contracts';
import { z } from '@aico/config';
import { protoJsonSchema } from './proto-json-schema';
import { username } from './schemas';

/** Thread, reply and fact ids as path parameters: a longer one cannot exist and answers 404. */
export const MAX_ID_CHARS = 128;

// Requests.
export const SendMessageBody = z.strictObject({
  text: z.string().max(MAX_CONVERSATION_MESSAGE_CHARS),
  /** The thread to continue; absent for a new thread. */
  conversationId: z.string().min(1).max(MAX_ID_CHARS).optional(),
  client: z.string().max(64).optional(),
});
export const ThreadsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).optional(), pageToken: z.string().max(512).optional() });
export const MessagesQuery = z.strictObject({ afterId: z.string().max(MAX_ID_CHARS).optional(), limit: z.coerce.number().int().min(1).max(500).optional() });
export const RenameThreadBody = z.strictObject({ title: z.string().trim().min(1).max(200) });
export const ExportQuery = z.strictObject({ format: z.enum(['markdown', 'json']).optional() });
export const StopReplyBody = z.strictObject({ replyId: z.string().min(1).max(MAX_ID_CHARS).optional() });
export const PersonaBody = z.strictObject({
  name: z.string().trim().min(1).max(PERSONA_LIMITS.nameChars),
  systemPrompt: z.string().trim().min(1).max(PERSONA_LIMITS.systemPromptChars),
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().gt(0).max(1).optional(),
  topK: z.number().int().min(1).max(PERSONA_LIMITS.topK).optional(),
  /** 0: the service's default. */
  maxTokens: z.number().int().min(0).max(PERSONA_LIMITS.maxTokens).optional(),
  expression: z.enum(PERSONA_EXPRESSIONS),
});
export const MemoryFactBody = z.strictObject({ text: z.string().trim().min(1).max(MAX_MEMORY_FACT_CHARS) });
export const ImportModelBody = z.strictObject({ path: z.string().min(1).max(4096), name: z.string().min(1).max(128).optional() });
export const PullModelBody = z.strictObject({
  source: z.string().min(1).max(2048),
  name: z.string().min(1).max(128).optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, '64 hex digits')
    .optional(),
});
export const UseModelBody = z.strictObject({ name: z.string().min(1).max(128) });
export const SetupBody = z.strictObject({
  username,
  password: z.string().min(8, 'at least 8 characters').max(1024),
  displayName: z.string().max(128).optional(),
});

// Answers.
export const SendMessageResponse = z.strictObject({
  threadId: z.string(),
  messageId: z.string(),
  replyId: z.string(),
  correlationId: z.uuid(),
  thread: protoJsonSchema(ThreadSchema),
});
export const ThreadsResponse = protoJsonSchema(ListThreadsResponseSchema);
export const ThreadResponse = protoJsonSchema(GetThreadResponseSchema);
export const MessagesResponse = protoJsonSchema(ListMessagesResponseSchema);
export const DeleteThreadResponse = protoJsonSchema(DeleteThreadResponseSchema);
/** The file itself (Markdown or JSON text), sent with its Content-Type and as an attachment. */
export const ExportResponse = z.string();
export const StopReplyResponse = protoJsonSchema(StopReplyResponseSchema);
export const PersonaResponse = protoJsonSchema(PersonaResponseSchema);
export const MemoryResponse = protoJsonSchema(ListMemoryResponseSchema);
export const MemoryFactResponse = protoJsonSchema(MemoryFactResponseSchema);
export const ForgetMemoryResponse = protoJsonSchema(ForgetMemoryResponseSchema);
export const ModelsResponse = z.strictObject({
  catalog: protoJsonSchema(ListModelsResponseSchema),
  status: protoJsonSchema(ModelsStatusResponseSchema).nullable(),
});
export const ImportModelResponse = protoJsonSchema(ImportModelResponseSchema);
export const PullStartedResponse = z.strictObject({ pullId: z.uuid() });
export const UseModelResponse = protoJsonSchema(UseModelResponseSchema);
export const RemoveModelResponse = protoJsonSchema(RemoveModelResponseSchema);
export const SetupNeededResponse = z.strictObject({ needed: z.boolean() });
