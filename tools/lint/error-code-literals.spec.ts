// No string copies of error codes: production code names a code by its enum member (StorageErrorCode.DiskFull), never
// by a quoted 'STORAGE_DISK_FULL', so renaming or removing a code is a type error everywhere it is used and a search
// for the member finds every use. The codes are read from the enums' declarations at test time; every string literal
// of every production file (the web client's too: it imports the enums it compares from @aico/contracts/browser; not
// generated code, specs, test helpers or e2e tests, where the wire's text is the contract) is compared against them.
// Only the declaring files may spell a code out.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = join(__dirname, '..', '..');

/** The files that declare error-code enums outside the contracts (whose every non-generated file may declare some). */
const OTHER_DECLARING_FILES = ['libs/bus/src/bus.error.ts', 'libs/backup-archive/src/backup-archive.error.ts'];
const CONTRACTS = 'libs/contracts/src';

/** Test code and generated code: skipped (a test may compare against the wire's text). */
const NOT_PRODUCTION = [
  '**/gen/**',
  '**/node_modules/**',
  '**/dist/**',
  '**/*.spec.ts',
  '**/*.spec.tsx',
  '**/*-spec.ts',
  '**/*.test-helpers.ts',
  '**/testing/**',
  '**/*.d.ts',
];

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
}

/** Each `export enum …ErrorCode { Member = 'CODE' }` of a file: code → `Enum.Member`. */
export function declaredCodes(files: readonly string[]): Map<string, string> {
  const codes = new Map<string, string>();
  for (const file of files) {
    for (const statement of parse(file).statements) {
      if (!ts.isEnumDeclaration(statement) || !statement.name.text.endsWith('ErrorCode')) continue;
      for (const member of statement.members) {
        if (member.initializer && ts.isStringLiteral(member.initializer)) codes.set(member.initializer.text, `${statement.name.text}.${member.name.getText()}`);
      }
    }
  }
  return codes;
}

/** Every string literal (or template without substitutions) of `text` equal to a declared code, as `line: 'CODE' (Enum.Member)`. */
export function codeLiterals(file: string, text: string, codes: ReadonlyMap<string, string>): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && codes.has(node.text)) {
      found.push(`${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}: '${node.text}' (${codes.get(node.text)})`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const contractFiles = () => ts.sys.readDirectory(join(root, CONTRACTS), ['.ts'], ['**/gen/**', '**/*.spec.ts']);
const productionFiles = () =>
  ['apps', 'libs', 'tools']
    .flatMap((dir) => ts.sys.readDirectory(join(root, dir), ['.ts', '.tsx', '.mts'], NOT_PRODUCTION))
    .filter((file) => !file.includes('/node_modules/'))
    .map((file) => relative(root, file))
    .filter((file) => !file.startsWith(`${CONTRACTS}/`) && !OTHER_DECLARING_FILES.includes(file));

describe('error codes are named by their enums, never copied as strings', () => {
  const codes = declaredCodes([...contractFiles(), ...OTHER_DECLARING_FILES.map((file) => join(root, file))]);

  it('reads the codes of every error-code enum (the contracts, the bus, the backup archive)', () => {
    const enums = new Set([...codes.values()].map((member) => member.split('.')[0]));
    expect([...enums].sort()).toEqual(
      [
        'BackupArchiveErrorCode',
        'BusErrorCode',
        'ConversationErrorCode',
        'JobsErrorCode',
        'KeysErrorCode',
        'ModelsErrorCode',
        'SchedulerErrorCode',
        'StorageClientErrorCode',
        'StorageErrorCode',
      ].sort(),
    );
    expect(codes.get('STORAGE_DISK_FULL')).toBe('StorageErrorCode.DiskFull');
    expect(codes.get('DEADLINE_EXCEEDED')).toBe('BusErrorCode.DeadlineExceeded');
  });

  it('finds a quoted code in code, and not in a comment or a longer string', () => {
    const text =
      "// 'STORAGE_IO' in a comment\nconst a = 'STORAGE_IO';\nconst b = `STORAGE_IO`;\nconst c = 'STORAGE_IO happened';\ntype D = { code: 'NO_HANDLER' };\n";
    expect(codeLiterals('example.ts', text, codes)).toEqual([
      "2: 'STORAGE_IO' (StorageErrorCode.Io)",
      "3: 'STORAGE_IO' (StorageErrorCode.Io)",
      "5: 'NO_HANDLER' (BusErrorCode.NoHandler)",
    ]);
  });

  it('has no production file outside the declarations that spells a code out', () => {
    const files = productionFiles();
    expect(files.length).toBeGreaterThan(100);
    const copies = files.flatMap((file) => codeLiterals(file, readFileSync(join(root, file), 'utf8'), codes).map((hit) => `${file}:${hit}`));
    expect(copies).toEqual([]);
  }, 120_000);
});
