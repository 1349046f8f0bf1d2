// Test harnesses stay out of production code, by lint: a production file that imports a lib's testing entry point
// (`@aico/bus/testing`) or a `*.test-helpers` module is refused; specs, test helpers, e2e tests and benchmarks may.
import { lintRuleMessages } from './lint-rule-runner';

/** Lints `code` as if it were `file`, with only the test-only-imports rule. */
const testImportErrors = (file: string, code: string): Promise<string[]> =>
  lintRuleMessages('tools/lint/test-only-imports.eslint.config.mjs', 'no-restricted-imports', file, code);

const harnessImport = "import { TestBus } from '@aico/bus/testing';\nvoid TestBus;\n";
const helperImport = "import { startHarness } from './scheduler-harness.test-helpers';\nvoid startHarness;\n";

// Each case starts ESLint once per probe file: seconds when idle, far longer on two loaded cores. A deadline for a
// hung lint, not a measure of speed.
jest.setTimeout(600_000);

describe('test-only imports', () => {
  it('refuses a testing entry point in a production file', async () => {
    for (const file of ['apps/storage/src/storage-app.module.ts', 'tools/scripts/probe.ts']) {
      expect((await testImportErrors(file, harnessImport)).join('\n')).toContain('testing entry point is for specs');
    }
    const typeOnly = await testImportErrors(
      'apps/gateway/src/probe.ts',
      "import type { ServiceTestEnvironment } from '@aico/service/testing';\nexport type E = ServiceTestEnvironment;\n",
    );
    expect(typeOnly.join('\n')).toContain('testing entry point is for specs');
  });

  it('refuses a *.test-helpers module in a production file', async () => {
    expect((await testImportErrors('apps/scheduler/src/task-scheduler.service.ts', helperImport)).join('\n')).toContain('test-helpers module is for specs');
  });

  it('allows both in specs, test helpers, e2e tests, benchmarks and testing folders', async () => {
    for (const file of [
      'apps/storage/src/storage.contract-spec.ts',
      'libs/bus/src/client/bus-client.spec.ts',
      'apps/scheduler/src/other-harness.test-helpers.ts',
      'e2e/bus/bus.e2e-spec.ts',
      'e2e/support/service-process.ts',
      'tools/bench/bus.bench.ts',
      'libs/service/src/testing/service-test-environment.ts',
    ]) {
      expect(await testImportErrors(file, harnessImport + helperImport)).toEqual([]);
    }
  });

  it('allows the public entry point anywhere', async () => {
    expect(await testImportErrors('apps/storage/src/probe.ts', "import { BusClient } from '@aico/bus';\nvoid BusClient;\n")).toEqual([]);
  });
});
