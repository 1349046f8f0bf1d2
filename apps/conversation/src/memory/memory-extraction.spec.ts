// Reading the memory job's answer and building its prompt.
import { create } from '@bufbuild/protobuf';
import { MessageRole, MessageStatus, ThreadMessageSchema } from '@aico/contracts';
import { extractionChat, normalizeFact, parseExtraction, rememberable } from './memory-extraction';

const limits = { summaryMaxChars: 20, factMaxChars: 10, maxFactsPerExchange: 2 };
const message = (id: string, role: MessageRole, text: string, status = MessageStatus.COMPLETE) => create(ThreadMessageSchema, { id, role, text, status });

describe('memory extraction', () => {
  it('reads the JSON leniently within the limits, and refuses what is not an object', () => {
    expect(parseExtraction('{"summary":"  a summary that is far too long ","facts":["one  fact here", 3, "", "two", "three"]}', limits)).toEqual({
      summary: 'a summary that is fa',
      facts: ['one fact h', 'two'],
    });
    expect(parseExtraction('{"facts":"x"}', limits)).toEqual({ summary: '', facts: [] });
    expect(parseExtraction('{"summary": "cut', limits)).toBeUndefined();
    expect(parseExtraction('[1]', limits)).toBeUndefined();
  });

  it('keeps written messages only, and the newest that fit the budget', () => {
    const messages = rememberable([
      message('1', MessageRole.USER, 'first question'),
      message('2', MessageRole.ASSISTANT, 'failed', MessageStatus.FAILED),
      message('3', MessageRole.ASSISTANT, 'partial', MessageStatus.STOPPED),
      message('4', MessageRole.USER, 'second question'),
      message('5', MessageRole.ASSISTANT, 'writing', MessageStatus.STREAMING),
    ]);
    expect(messages.map((m) => m.id)).toEqual(['1', '3', '4']);
    const chat = extractionChat({ summary: '', knownFacts: [], messages, maxInputChars: 40 });
    expect(chat.at(-1)!.content).toContain('Conversation excerpt:\nCompanion: partial\nUser: second question');
    expect(chat.at(-1)!.content).not.toContain('first question');
  });

  it('compares facts without case, spacing or punctuation', () => {
    expect(normalizeFact(' The user, likes  TEA! ')).toBe(normalizeFact('the user likes tea'));
  });
});
