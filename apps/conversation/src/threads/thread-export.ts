// A thread as a file the user keeps: Markdown to read, JSON (the protobuf JSON of the thread and its messages) to
// process. Both hold the conversation's text: they go to the user who asked, never into logs.
import { toJson } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import {
  ExportFormat,
  MessageRole,
  MessageStatus,
  ThreadMessageSchema,
  ThreadSchema,
  type ExportThreadResponse,
  type Thread,
  type ThreadMessage,
} from '@aico/contracts';
import { create } from '@bufbuild/protobuf';
import { ExportThreadResponseSchema } from '@aico/contracts';

export function exportThread(thread: Thread, messages: readonly ThreadMessage[], format: ExportFormat, assistantName: string): ExportThreadResponse {
  const base = fileBase(thread);
  if (format === ExportFormat.JSON) {
    const content = JSON.stringify(
      { thread: toJson(ThreadSchema, thread), messages: messages.map((message) => toJson(ThreadMessageSchema, message)) },
      null,
      2,
    );
    return create(ExportThreadResponseSchema, { fileName: `${base}.json`, contentType: 'application/json; charset=utf-8', content: `${content}\n` });
  }
  return create(ExportThreadResponseSchema, {
    fileName: `${base}.md`,
    contentType: 'text/markdown; charset=utf-8',
    content: markdown(thread, messages, assistantName),
  });
}

function markdown(thread: Thread, messages: readonly ThreadMessage[], assistantName: string): string {
  const lines = [`# ${thread.title || 'Conversation'}`, ''];
  if (thread.createdAt) lines.push(`_Started ${timestampDate(thread.createdAt).toISOString()}_`, '');
  for (const message of messages) {
    const who = message.role === MessageRole.USER ? 'You' : assistantName;
    const when = message.createdAt ? ` (${timestampDate(message.createdAt).toISOString()})` : '';
    const note = statusNote(message);
    lines.push(`## ${who}${when}${note}`, '', message.text, '');
  }
  return lines.join('\n');
}

function statusNote(message: ThreadMessage): string {
  switch (message.status) {
    case MessageStatus.STOPPED:
      return ' — stopped';
    case MessageStatus.FAILED:
      return ` — failed: ${message.errorMessage || message.errorCode}`;
    case MessageStatus.STREAMING:
      return ' — being written';
    case MessageStatus.COMPLETE:
    case MessageStatus.UNSPECIFIED:
      return '';
  }
}

/** The title as a file name: letters, digits, dashes; never empty. */
function fileBase(thread: Thread): string {
  const slug = thread.title
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .toLowerCase();
  return `conversation-${slug || thread.id.slice(0, 8)}`;
}
