// Which turns of a thread go into a reply's prompt: the system message (persona and memory) and as many of the most
// recent turns as fit the model's context with room left for the reply, counted in the model's own tokens.

export interface ChatTurn {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface PromptWindow {
  readonly messages: ChatTurn[];
  /** The prompt's tokens as the models service counted them. */
  readonly promptTokens: number;
  /** The model's context size. */
  readonly contextSize: number;
  /** Turns left out (the oldest). */
  readonly dropped: number;
}

/** Counts the tokens of a chat with the model that will answer it (models.tokens.count). */
export type CountChatTokens = (messages: readonly ChatTurn[]) => Promise<{ tokens: number; contextSize: number }>;

/**
 * The system message and the longest run of recent turns whose prompt leaves `replyTokens` free in the context. The
 * newest turn is always kept, even when it alone does not leave that room: it is what the reply must answer (an
 * older turn in its place would answer the wrong message); the reply then gets the room there is. The window starts
 * at a user turn where it can, since chat templates expect a user turn after the system message. Counting is a bus
 * request, so the cut is found by bisection: a few counts, however long the thread.
 */
export async function fitPromptWindow(system: ChatTurn, turns: readonly ChatTurn[], replyTokens: number, count: CountChatTokens): Promise<PromptWindow> {
  if (turns.length === 0) throw new RangeError('a prompt needs at least the newest turn');
  const measure = (start: number) => count([system, ...turns.slice(start)]);
  const whole = await measure(0);
  const budget = whole.contextSize - replyTokens;
  let start = 0;
  let fitted = whole;
  if (whole.tokens > budget && turns.length > 1) {
    // The smallest start whose window fits; tokens only fall as the start moves on. The newest turn stays.
    let low = 1;
    let high = turns.length - 1;
    fitted = await measure(high);
    start = high;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const measured = await measure(middle);
      if (measured.tokens <= budget) {
        high = middle;
        start = middle;
        fitted = measured;
      } else low = middle + 1;
    }
  }
  let first = start;
  while (first < turns.length - 1 && turns[first]!.role !== 'user') first++;
  if (first !== start) fitted = await measure(first);
  return { messages: [system, ...turns.slice(first)], promptTokens: fitted.tokens, contextSize: fitted.contextSize, dropped: first };
}
