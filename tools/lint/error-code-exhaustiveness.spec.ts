// Every error code is mapped at every edge, and the type checker holds it so: add a member to a domain's code enum
// (in memory, the real file untouched) and compile each edge with its project's real tsconfig, as `npm run
// typecheck` does. The edge's map for that domain must fail to compile; without the change nothing may fail. A map
// made non-exhaustive (a Partial, a `default:`) would compile with the new member, and this test would say which.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const root = join(__dirname, '..', '..');

const GATEWAY = 'apps/gateway/src/http/domain-error-status.ts';
const CLI = 'apps/cli/src/exit-codes.ts';
const STORAGE_CLIENT = 'libs/storage-client/src/storage-client.ts';

interface Domain {
  /** The enum of the domain's codes, and the file that declares it. */
  readonly codes: string;
  readonly file: string;
  /** Each edge file, with the declaration in it that maps the domain's codes. */
  readonly maps: readonly (readonly [edge: string, declaration: string])[];
}

const DOMAINS: readonly Domain[] = [
  {
    codes: 'StorageErrorCode',
    file: 'libs/contracts/src/storage-topics.ts',
    maps: [
      [GATEWAY, 'STORAGE_ERROR_STATUS'],
      [CLI, 'STORAGE_EXIT'],
      [STORAGE_CLIENT, 'STORAGE_RETRY'],
    ],
  },
  {
    codes: 'StorageClientErrorCode',
    file: 'libs/contracts/src/storage-topics.ts',
    maps: [
      [GATEWAY, 'STORAGE_CLIENT_ERROR_STATUS'],
      [CLI, 'STORAGE_CLIENT_EXIT'],
    ],
  },
  {
    codes: 'KeysErrorCode',
    file: 'libs/contracts/src/security-topics.ts',
    maps: [
      [GATEWAY, 'KEYS_ERROR_STATUS'],
      [CLI, 'KEYS_EXIT'],
    ],
  },
  {
    codes: 'SchedulerErrorCode',
    file: 'libs/contracts/src/scheduler-topics.ts',
    maps: [
      [GATEWAY, 'SCHEDULER_ERROR_STATUS'],
      [CLI, 'SCHEDULER_EXIT'],
    ],
  },
  {
    codes: 'JobsErrorCode',
    file: 'libs/contracts/src/monitor-topics.ts',
    maps: [
      [GATEWAY, 'JOBS_ERROR_STATUS'],
      [CLI, 'JOBS_EXIT'],
    ],
  },
  {
    codes: 'ModelsErrorCode',
    file: 'libs/contracts/src/models-topics.ts',
    maps: [
      [GATEWAY, 'MODELS_ERROR_STATUS'],
      [CLI, 'MODELS_EXIT'],
    ],
  },
  {
    codes: 'ConversationErrorCode',
    file: 'libs/contracts/src/conversation-error-code.ts',
    maps: [
      [GATEWAY, 'CONVERSATION_ERROR_STATUS'],
      [CLI, 'CONVERSATION_EXIT'],
    ],
  },
  {
    codes: 'BusErrorCode',
    file: 'libs/bus/src/bus.error.ts',
    maps: [
      [GATEWAY, 'BUS_ERROR_STATUS'],
      [CLI, 'BUS_EXIT'],
      [STORAGE_CLIENT, 'BUS_RETRY'],
    ],
  },
  // The archive's codes reach the CLI in a storage reply's details (a restore that failed on the archive).
  { codes: 'BackupArchiveErrorCode', file: 'libs/backup-archive/src/backup-archive.error.ts', maps: [[CLI, 'archiveExitCode']] },
];

const EDGES = [GATEWAY, CLI, STORAGE_CLIENT];

/** The compiler options of the project an edge belongs to, from its real tsconfig.json. */
function optionsOf(edge: string): ts.CompilerOptions {
  const projectDir = join(root, edge.split('/').slice(0, 2).join('/'));
  const configFile = join(projectDir, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configFile, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configFile), { noEmit: true }, configFile);
  if (parsed.errors.length > 0) throw new Error(parsed.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'));
  return parsed.options;
}

const parsedFiles = new Map<string, ts.SourceFile>();

/** A host reading the real tree, except `changed` (absolute path → text); unchanged files are parsed once for all runs. */
function hostWith(options: ts.CompilerOptions, changed: ReadonlyMap<string, string>): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => changed.get(file) ?? readFile(file);
  host.getSourceFile = (file, languageVersion) => {
    const text = changed.get(file);
    if (text !== undefined) return ts.createSourceFile(file, text, languageVersion, true);
    const key = `${String(typeof languageVersion === 'object' ? languageVersion.languageVersion : languageVersion)}:${file}`;
    let parsed = parsedFiles.get(key);
    if (!parsed) {
      const source = readFile(file);
      if (source === undefined) return undefined;
      parsed = ts.createSourceFile(file, source, languageVersion, true);
      parsedFiles.set(key, parsed);
    }
    return parsed;
  };
  return host;
}

interface EdgeError {
  readonly edge: string;
  /** The top-level declaration the error is in (a map's name), or the line's text when it is in none. */
  readonly declaration: string;
  readonly message: string;
}

/** The name of the top-level declaration of `file` that holds `position`. */
function declarationAt(file: ts.SourceFile, position: number): string | undefined {
  for (const statement of file.statements) {
    if (position < statement.getStart(file) || position >= statement.end) continue;
    if (ts.isFunctionDeclaration(statement)) return statement.name?.text;
    if (ts.isVariableStatement(statement)) {
      const declaration = statement.declarationList.declarations.find((d) => position >= d.getStart(file) && position < d.end);
      return declaration && ts.isIdentifier(declaration.name) ? declaration.name.text : undefined;
    }
  }
  return undefined;
}

/** Type errors in the edge files, compiled per project with its options and `changed` in place of the real files. */
function edgeErrors(changed: ReadonlyMap<string, string> = new Map()): EdgeError[] {
  const errors: EdgeError[] = [];
  for (const edge of EDGES) {
    const options = optionsOf(edge);
    const path = join(root, edge);
    const program = ts.createProgram({ rootNames: [path], options, host: hostWith(options, changed) });
    const file = program.getSourceFile(path)!;
    for (const diagnostic of [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]) {
      const at = diagnostic.start ?? 0;
      const line = file.text.split('\n')[file.getLineAndCharacterOfPosition(at).line]!.trim();
      errors.push({ edge, declaration: declarationAt(file, at) ?? line, message: ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n') });
    }
  }
  return errors;
}

/** The declaring file with one more member in the domain's enum. */
function withNewCode(domain: Domain): Map<string, string> {
  const path = join(root, domain.file);
  const text = readFileSync(path, 'utf8');
  const opening = `export enum ${domain.codes} {`;
  if (!text.includes(opening)) throw new Error(`${domain.file} declares no "${opening}"`);
  return new Map([[path, text.replace(opening, `${opening}\n  AddedByTheExhaustivenessTest = 'ADDED_BY_THE_EXHAUSTIVENESS_TEST',`)]]);
}

describe('error codes are mapped exhaustively at every edge', () => {
  it('compiles every edge as it is', () => {
    expect(edgeErrors()).toEqual([]);
  }, 180_000);

  it.each(DOMAINS.map((domain) => [domain.codes, domain] as const))(
    'refuses a new %s member until each edge maps it',
    (_name, domain) => {
      const errors = edgeErrors(withNewCode(domain));
      const failing = [...new Set(errors.map((error) => `${error.edge} ${error.declaration}`))].sort();
      expect({ codes: domain.codes, failing }).toEqual({
        codes: domain.codes,
        failing: domain.maps.map(([edge, declaration]) => `${edge} ${declaration}`).sort(),
      });
    },
    180_000,
  );

  it('knows every error-code enum of the contracts', () => {
    const declared = DOMAINS.filter((domain) => domain.file.startsWith('libs/contracts/')).map((domain) => domain.codes);
    const contracts = join(root, 'libs/contracts/src');
    const found = ts.sys
      .readDirectory(contracts, ['.ts'], ['**/gen/**', '**/*.spec.ts'])
      .flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/export enum (\w+ErrorCode) \{/g)].map((match) => `${relative(root, file)} ${match[1]}`));
    expect(found.map((entry) => entry.split(' ')[1]).sort()).toEqual([...declared].sort());
  });
});
