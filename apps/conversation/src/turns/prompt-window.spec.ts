import { fitPromptWindow, type ChatTurn, type CountChatTokens } from './prompt-window';

// At the edge of this unit: a counter standing in for models.tokens.count (one token a character, 4 a message).
function counter(contextSize: number): CountChatTokens & { calls: number } {
  const count = Object.assign(
    (messages: readonly ChatTurn[]) => {
      count.calls++;
      return Promise.resolve({ tokens: messages.reduce((sum, message) => sum + message.content.length + 4, 0), contextSize });
    },
    { calls: 0 },
  );
  return count;
}

const system: ChatTurn = { role: 'system', content: 'x'.repeat(16) }; // 20 tokens
const turn = (role: 'user' | 'assistant', n: number): ChatTurn => ({ role, content: `${role[0]}${n}`.padEnd(16, '.') }); // 20 tokens each
const thread = (pairs: number): ChatTurn[] =>
  Array.from({ length: pairs }, (_, i) => [turn('user', i), turn('assistant', i)])
    .flat()
    .concat(turn('user', pairs));

describe('fitPromptWindow', () => {
  it('takes every turn when they fit beside the reply, with one count', async () => {
    const count = counter(1000);
    const window = await fitPromptWindow(system, thread(3), 100, count);
    expect(window).toMatchObject({ promptTokens: 20 * 8, contextSize: 1000, dropped: 0 });
    expect(window.messages).toHaveLength(8);
    expect(count.calls).toBe(1);
  });

  it('drops the oldest turns so the reply keeps its room, starting at a user turn, in a few counts', async () => {
    const count = counter(300);
    const turns = thread(50); // 101 turns
    const window = await fitPromptWindow(system, turns, 100, count);
    // 200 tokens of prompt at most: the system message and the newest turns, from a user turn on.
    expect(window.promptTokens).toBeLessThanOrEqual(200);
    expect(window.messages[1]!.role).toBe('user');
    expect(window.messages.at(-1)).toEqual(turns.at(-1));
    expect(window.messages.slice(1)).toEqual(turns.slice(window.dropped));
    // The largest window that fits: one more (user) pair would not.
    expect(window.promptTokens + 40).toBeGreaterThan(200);
    expect(count.calls).toBeLessThanOrEqual(10);
  });

  it('keeps the newest turn even when it alone leaves less room than asked', async () => {
    const count = counter(100);
    const turns = [turn('user', 1), turn('assistant', 1), { role: 'user' as const, content: 'y'.repeat(90) }];
    const window = await fitPromptWindow(system, turns, 50, count);
    expect(window.messages).toEqual([system, turns[2]]);
    expect(window.promptTokens).toBe(20 + 94);
  });
});
