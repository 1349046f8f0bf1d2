// A new thread's title: the start of its first message, on one line, cut at a word.
const MAX_TITLE_FROM_MESSAGE = 60;

export function threadTitle(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line.length <= MAX_TITLE_FROM_MESSAGE) return line;
  const cut = line.slice(0, MAX_TITLE_FROM_MESSAGE);
  const space = cut.lastIndexOf(' ');
  return `${(space > MAX_TITLE_FROM_MESSAGE / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
