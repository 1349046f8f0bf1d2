// Topics of the conversation service, the companion's turn loop: a user's message into a thread, the reply streamed
// to that user only (deltas in order, then completed), stop and regenerate, threads (list, messages, rename, delete,
// export), the persona, and memory kept only with `conversation.memory` consent. Error codes live here beside them.
import { ConversationMessageSchema } from './gen/aico/conversation/v1/message_pb';
import {
  DeleteMemoryFactRequestSchema,
  DeleteMemoryFactResponseSchema,
  DeleteThreadRequestSchema,
  DeleteThreadResponseSchema,
  ExportThreadRequestSchema,
  ExportThreadResponseSchema,
  ForgetMemoryRequestSchema,
  ForgetMemoryResponseSchema,
  GetPersonaRequestSchema,
  GetThreadRequestSchema,
  GetThreadResponseSchema,
  ListMemoryRequestSchema,
  ListMemoryResponseSchema,
  ListMessagesRequestSchema,
  ListMessagesResponseSchema,
  ListThreadsRequestSchema,
  ListThreadsResponseSchema,
  MemoryChangedSchema,
  MemoryFactResponseSchema,
  PersonaResponseSchema,
  RegenerateReplyRequestSchema,
  RenameThreadRequestSchema,
  ReplyCompletedSchema,
  ReplyDeltaSchema,
  SendMessageRequestSchema,
  SendMessageResponseSchema,
  StopReplyRequestSchema,
  StopReplyResponseSchema,
  ThreadChangedSchema,
  UpdateMemoryFactRequestSchema,
  UpdatePersonaRequestSchema,
} from './gen/aico/conversation/v1/service_pb';
import type { ServiceIdentity } from './identities';
import { defineEvent, defineRequest } from './topic-registry';

const conversation = ['conversation'] as const;
/** Front ends reach the conversation service through the gateway (which names the user) or the CLI. */
const FRONT_ENDS: readonly ServiceIdentity[] = ['gateway', 'cli'];

export const ConversationTopics = {
  messageSend: defineRequest({ topic: 'conversation.message.send', payload: SendMessageRequestSchema, response: SendMessageResponseSchema, publishers: FRONT_ENDS, responders: conversation, contractVersion: 1, description: "Appends a user's message to a thread (a new one when none is named) and starts the reply." }),
  messageReceived: defineEvent({ topic: 'conversation.message.received', payload: ConversationMessageSchema, audience: { user: 'userId' }, publishers: conversation, contractVersion: 2, description: "A user's message is stored in its thread (every front end of that user shows it)." }),
  replyDelta: defineEvent({ topic: 'conversation.reply.delta', payload: ReplyDeltaSchema, audience: { user: 'userId' }, publishers: conversation, contractVersion: 1, description: 'A piece of a reply being written, numbered in order, to its user only.' }),
  replyCompleted: defineEvent({ topic: 'conversation.reply.completed', payload: ReplyCompletedSchema, audience: { user: 'userId' }, publishers: conversation, contractVersion: 1, description: 'A reply ended: finished, stopped with its partial text, or failed with why.' }),
  replyStop: defineRequest({ topic: 'conversation.reply.stop', payload: StopReplyRequestSchema, response: StopReplyResponseSchema, publishers: FRONT_ENDS, responders: conversation, contractVersion: 1, description: 'Stops the reply being written in a thread, and the avatar speaking it.' }),
  replyRegenerate: defineRequest({ topic: 'conversation.reply.regenerate', payload: RegenerateReplyRequestSchema, response: SendMessageResponseSchema, publishers: FRONT_ENDS, responders: conversation, contractVersion: 1, description: "Writes a thread's last reply again." }),
  threadsList: defineRequest({ topic: 'conversation.threads.list', payload: ListThreadsRequestSchema, response: ListThreadsResponseSchema, publishers: FRONT_ENDS, responders: conversation, contractVersion: 1, description: "A user's threads, most recently updated first, paged." }),
  threadGet: defineRequest({ topic: 'conversation.threads.get', payload: GetThreadRequestSchema, response: GetThreadResponseSchema, publishers: FRONT_ENDS, responders: conversation, contractVersion: 1, description: "One of the user's threads." }),
  messagesList: defineRequest({ topic: 'conversation.messages.list', payload: ListMessagesRequestSchema, response: ListMessagesResponseSchema, publishers: FRONT_ENDS, responders: conversation, contractVersion: 1, description: "A thread's messages, oldest first, paged." }),
  threadRename: defineRequest({ topic: 'conversation.threads.rename', payload: RenameThreadRequestSchema, response: GetThreadResponseSchema, publishers: FRONT_ENDS, responders: conversation, contractVersion: 1, description: 'Renames a thread.' }),
  threadDelete: defineRequest({ topic: 'conversation.threads.delete', payload: DeleteThreadRequestSchema, response: DeleteThreadResponseSchema, publishers: FRONT_ENDS, responders: conversation, contractVersion: 1, description: 'Deletes a thread and its messages from the database (and its summary and the facts learnt from it).' }),
  threadExport: defineRequest({ topic: 'conversation.threads.export', payload: ExportThreadRequestSchema, response: ExportThreadResponseSchema, publishers: FRONT_ENDS, responders: conversation, contractVersion: 1, description: 'A thread as Markdown or JSON.' }),
  threadChanged: defineEvent({ topic: 'conversation.thread.changed', payload: ThreadChangedSchema, audience: { user: 'userId' }, publishers: conversation, contractVersion: 1, description: "One of the user's threads was created, renamed, updated or deleted." }),
  personaGet: defineRequest({ topic: 'conversation.persona.get', payload: GetPersonaRequestSchema, response: PersonaResponseSchema, publishers: FRONT_ENDS, responders: conversation, contractVersion: 1, description: "The companion's persona." }),
  personaUpdate: defineRequest({ topic: 'conversation.persona.update', payload: UpdatePersonaRequestSchema, response: PersonaResponseSchema, publishers: FRONT_ENDS, responders: conversation, contractVersion: 1, description: "Changes the companion's persona (the gateway lets admins only)." }),
  memoryList: defineRequest({ topic: 'conversation.memory.list', payload: ListMemoryRequestSchema, response: ListMemoryResponseSchema, publishers: FRONT_ENDS, responders: conversation, contractVersion: 1, description: 'What the companion remembers of a user: every fact with its source thread.' }),
  memoryUpdate: defineRequest({ topic: 'conversation.memory.update', payload: UpdateMemoryFactRequestSchema, response: MemoryFactResponseSchema, publishers: FRONT_ENDS, responders: conversation, contractVersion: 1, description: 'Edits one remembered fact.' }),
  memoryDelete: defineRequest({ topic: 'conversation.memory.delete', payload: DeleteMemoryFactRequestSchema, response: DeleteMemoryFactResponseSchema, publishers: FRONT_ENDS, responders: conversation, contractVersion: 1, description: 'Deletes one remembered fact.' }),
  memoryForget: defineRequest({ topic: 'conversation.memory.forget', payload: ForgetMemoryRequestSchema, response: ForgetMemoryResponseSchema, publishers: FRONT_ENDS, responders: conversation, contractVersion: 1, description: 'Deletes everything remembered of a user (facts and summaries).' }),
  memoryChanged: defineEvent({ topic: 'conversation.memory.changed', payload: MemoryChangedSchema, audience: { user: 'userId' }, publishers: conversation, contractVersion: 1, description: "A user's memory changed: learnt, edited, deleted, forgotten, or deleted because consent was withdrawn." }),
} as const;
