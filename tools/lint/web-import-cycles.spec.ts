// The web app's modules import each other without a cycle (issue 17): a cycle makes the load order decide which
// module sees the other's exports undefined, and ties modules that should stand apart.
import { join } from 'node:path';
import { findCycles, importGraph } from './import-cycles';

const WEB_SOURCES = join(__dirname, '..', '..', 'apps', 'web', 'src');

describe('import cycles', () => {
  it('finds a cycle through relative imports, type imports included, and none in a tree', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.tsx']],
      ['c.tsx', ['a.ts', 'd.ts']],
      ['d.ts', []],
    ]);
    expect(findCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.tsx', 'a.ts']]);
    expect(
      findCycles(
        new Map([
          ['a.ts', ['b.ts', 'c.ts']],
          ['b.ts', ['c.ts']],
          ['c.ts', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('reads the web app: its shell imports its features, and no module imports itself back', () => {
    const graph = importGraph(WEB_SOURCES);
    expect(graph.get('main.tsx')).toEqual(expect.arrayContaining(['app/app.tsx']));
    expect(graph.size).toBeGreaterThan(40);
    expect(findCycles(graph).map((cycle) => cycle.join(' → '))).toEqual([]);
  });
});
