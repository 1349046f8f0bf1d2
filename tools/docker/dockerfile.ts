// Reads a Dockerfile into its stages and instructions, enough for the tests to check what each image holds: line
// continuations and comments as the Dockerfile reference defines them, `ARG` defaults before the first `FROM`
// substituted into `FROM`, exec-form (JSON) arguments decoded. There is no Docker engine here to build the images.

export interface Instruction {
  readonly keyword: string;
  /** The arguments as written, continuation lines joined (white space runs made one space, but in the JSON form). */
  readonly text: string;
  /** `--name=value` flags at the start (COPY --from, HEALTHCHECK --interval). */
  readonly flags: Readonly<Record<string, string>>;
  /** The arguments after the flags: a JSON array decoded, else split on white space. */
  readonly args: readonly string[];
  /** True for the JSON (exec) form. */
  readonly execForm: boolean;
}

export interface Stage {
  readonly image: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  readonly globalArgs: Readonly<Record<string, string>>;
  readonly stages: readonly Stage[];
}

function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const raw of text.split(/\r?\n/)) {
    // Comment lines end nothing: they may even sit between continuation lines.
    if (/^\s*#/.test(raw)) continue;
    if (/\\\s*$/.test(raw)) {
      current += `${raw.replace(/\\\s*$/, '')} `;
      continue;
    }
    current += raw;
    if (current.trim() !== '') lines.push(current.trim());
    current = '';
  }
  if (current.trim() !== '') throw new Error('Dockerfile: the last line ends with a continuation');
  return lines;
}

function parseInstruction(line: string): Instruction {
  const match = /^([A-Za-z]+)\s*(.*)$/.exec(line);
  if (!match) throw new Error(`Dockerfile: cannot read "${line}"`);
  const keyword = match[1]!.toUpperCase();
  let rest = match[2]!;
  const flags: Record<string, string> = {};
  for (let flag = /^--([a-z-]+)=(\S+)\s*/.exec(rest); flag; flag = /^--([a-z-]+)=(\S+)\s*/.exec(rest)) {
    flags[flag[1]!] = flag[2]!;
    rest = rest.slice(flag[0].length);
  }
  // HEALTHCHECK's arguments are themselves an instruction: `CMD [...]`.
  const body = keyword === 'HEALTHCHECK' ? rest.replace(/^CMD\s+/, '') : rest;
  if (body.startsWith('[')) {
    const args: unknown = JSON.parse(body);
    if (!Array.isArray(args) || !args.every((arg) => typeof arg === 'string'))
      throw new Error(`Dockerfile: ${keyword} has a JSON form that is not an array of strings`);
    return { keyword, text: match[2]!, flags, args, execForm: true };
  }
  return { keyword, text: match[2]!.replace(/\s+/g, ' '), flags, args: body.split(/\s+/).filter(Boolean), execForm: false };
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: { image: string; name: string | undefined; instructions: Instruction[] }[] = [];
  const substitute = (value: string) =>
    value.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => globalArgs[braced ?? bare ?? ''] ?? whole);
  for (const line of logicalLines(text)) {
    const instruction = parseInstruction(line);
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args;
      if (!image || (as !== undefined && (as.toUpperCase() !== 'AS' || !name))) throw new Error(`Dockerfile: cannot read FROM ${instruction.text}`);
      stages.push({ image: substitute(image), name, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`Dockerfile: ${instruction.keyword} before the first FROM`);
      const [name, value = ''] = instruction.args[0]!.split('=');
      globalArgs[name!] = value;
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}
