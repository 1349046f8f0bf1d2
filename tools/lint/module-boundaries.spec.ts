// The module boundaries are enforced, not hoped for: lint code that breaks each rule, as if it sat in a real
// project, and expect @nx/enforce-module-boundaries to refuse it.
import { createProjectGraphAsync } from '@nx/devkit';
import { lintRuleMessages } from './lint-rule-runner';

/** Lints `code` as if it were `file`, with only the boundary rule. */
const boundaryErrors = (file: string, code: string): Promise<string[]> =>
  lintRuleMessages('tools/lint/boundaries.eslint.config.mjs', '@nx/enforce-module-boundaries', file, code);

describe('module boundaries', () => {
  beforeAll(async () => {
    // The rule reads the cached project graph; make sure it exists and is current.
    await createProjectGraphAsync({ exitOnError: false });
  }, 60_000);

  it('lets the bus lib import zeromq, and nothing else', async () => {
    expect(await boundaryErrors('libs/bus/src/probe.ts', "import { Publisher } from 'zeromq';\nvoid Publisher;\n")).toEqual([]);
    for (const file of ['apps/bus/src/probe.ts', 'libs/service/src/probe.ts', 'libs/logging/src/probe.ts', 'libs/contracts/src/probe.ts']) {
      const errors = await boundaryErrors(file, "import { Publisher } from 'zeromq';\nvoid Publisher;\n");
      expect(errors.join('\n')).toMatch(/zeromq/);
    }
  });

  it('forbids a lib from importing an app', async () => {
    const errors = await boundaryErrors(
      'libs/config/src/probe.ts',
      "import { BusAppModule } from '../../../apps/bus/src/bus-app.module';\nvoid BusAppModule;\n",
    );
    expect(errors.length).toBeGreaterThan(0);
  });

  it('forbids a utility lib from depending on the runtime or transport libs', async () => {
    const errors = await boundaryErrors('libs/config/src/probe.ts', "import { BusClient } from '@aico/bus';\nvoid BusClient;\n");
    expect(errors.join('\n')).toContain('tagged with "type:util" can only depend on libs tagged with');
  });

  it('forbids the contracts lib from depending on NestJS', async () => {
    const errors = await boundaryErrors('libs/contracts/src/probe.ts', "import { Module } from '@nestjs/common';\nvoid Module;\n");
    expect(errors.join('\n')).toMatch(/@nestjs/);
  });

  it('lets an app compose libs through their public index', async () => {
    expect(
      await boundaryErrors(
        'apps/bus/src/probe.ts',
        "import { BusProxy } from '@aico/bus';\nimport { runService } from '@aico/service';\nvoid BusProxy; void runService;\n",
      ),
    ).toEqual([]);
  });
});
