// The browser entry point (@aico/contracts/browser) stays plain: none of the files it reaches imports generated
// protobuf code, the protobuf runtime or the topic registry, so a value import of it bundles a few constants and not
// every contract. And the main index re-exports it, so servers keep importing from @aico/contracts alone.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import * as browser from './browser';
import * as contracts from './index';

/** Every file `entry` reaches through relative imports, and every import specifier they name. */
function reach(entry: string): { files: string[]; specifiers: string[] } {
  const files = new Set<string>();
  const specifiers: string[] = [];
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      specifiers.push(fileName);
      if (fileName.startsWith('.')) visit(`${resolve(dirname(file), fileName)}.ts`);
    }
  };
  visit(entry);
  return { files: [...files], specifiers };
}

describe('@aico/contracts/browser', () => {
  it('reaches no generated code, no protobuf runtime and no topic registry', () => {
    const { files, specifiers } = reach(join(__dirname, 'browser.ts'));
    expect(files.length).toBeGreaterThan(1);
    expect(specifiers.filter((specifier) => !specifier.startsWith('./') || /gen\/|topic|registry/.test(specifier))).toEqual([]);
  });

  it('is re-exported whole by the main entry point', () => {
    for (const [name, value] of Object.entries(browser)) expect([name, (contracts as Record<string, unknown>)[name]]).toEqual([name, value]);
  });
});
