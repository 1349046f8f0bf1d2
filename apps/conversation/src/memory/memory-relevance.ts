// Which memories a new message's prompt gets: facts ranked by cosine similarity of their embedding to the message's
// (the most recent first when there is no embedding to compare), then summaries of the user's other recent threads,
// as many as fit a character budget.
import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { MemoryFact, Thread } from '@aico/contracts';

export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length === 0 || a.length !== b.length) return Number.NaN;
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return normA === 0 || normB === 0 ? Number.NaN : dot / Math.sqrt(normA * normB);
}

const updatedMs = (item: { updatedAt?: Parameters<typeof timestampMs>[0] | undefined; createdAt?: Parameters<typeof timestampMs>[0] | undefined }): number =>
  item.updatedAt ? timestampMs(item.updatedAt) : item.createdAt ? timestampMs(item.createdAt) : 0;

/**
 * Facts most relevant first: by similarity to `query` when given (facts without a comparable embedding after those
 * with one), by recency otherwise and among equals.
 */
export function rankFacts(facts: readonly MemoryFact[], query: readonly number[] | undefined): MemoryFact[] {
  const scored = facts.map((fact) => ({ fact, score: query ? cosine(fact.embedding, query) : Number.NaN, at: updatedMs(fact) }));
  scored.sort((a, b) => {
    const aScored = !Number.isNaN(a.score);
    const bScored = !Number.isNaN(b.score);
    if (aScored !== bScored) return aScored ? -1 : 1;
    if (aScored && a.score !== b.score) return b.score - a.score;
    return b.at - a.at;
  });
  return scored.map(({ fact }) => fact);
}

/** The user's other threads with a summary, most recently updated first. */
export function recentSummaries(threads: readonly Thread[], exceptThreadId: string, limit: number): Thread[] {
  return threads
    .filter((thread) => thread.id !== exceptThreadId && thread.summary.trim() !== '')
    .sort((a, b) => updatedMs(b) - updatedMs(a))
    .slice(0, limit);
}

/** The prompt's memory lines: facts first (as ranked), then summaries, each that fits the budget. */
export function withinBudget(facts: readonly MemoryFact[], summaries: readonly Thread[], budgetChars: number): string[] {
  const lines: string[] = [];
  let used = 0;
  const add = (line: string): void => {
    if (used + line.length > budgetChars) return;
    lines.push(line);
    used += line.length;
  };
  for (const fact of facts) add(`Fact about the user: ${fact.text}`);
  for (const thread of summaries) add(`Summary of an earlier conversation${thread.title ? ` ("${thread.title}")` : ''}: ${thread.summary}`);
  return lines;
}
