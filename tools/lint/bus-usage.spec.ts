// One way to use the bus (libs/bus/README.md), by lint: a controller names its topics by the registry's constants;
// `@MessagePattern('a.b.c')` or `@EventPattern('a.b.c')` with a string literal is refused.
import { lintRuleMessages } from './lint-rule-runner';

/** Lints `code` as if it were `file`, with only the topic-literal rule. */
const literalErrors = (file: string, code: string): Promise<string[]> =>
  lintRuleMessages('tools/lint/bus-usage.eslint.config.mjs', 'no-restricted-syntax', file, code);

const controller = (pattern: string): string => `import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern } from '@nestjs/microservices';
import { MonitorTopics, SystemTopics } from '@aico/contracts';
void MonitorTopics; void SystemTopics;
@Controller()
export class ProbeController {
  ${pattern}
  handle(): void {}
}
`;

// A deadline for a hung lint on two loaded cores, not a measure of speed.
jest.setTimeout(600_000);

describe('bus topics in app controllers', () => {
  it('refuses a topic named by a string literal', async () => {
    const request = await literalErrors('apps/monitor/src/probe.controller.ts', controller("@MessagePattern('jobs.job.submit')"));
    expect(request.join('\n')).toContain("registry's constant");
    const event = await literalErrors('apps/monitor/src/probe.controller.ts', controller('@EventPattern(`system.health.heartbeat`)'));
    expect(event.join('\n')).toContain("registry's constant");
  });

  it("allows the registry's constants", async () => {
    const code = controller('@MessagePattern(MonitorTopics.jobSubmit.topic)\n  @EventPattern(SystemTopics.heartbeat.topic)');
    expect(await literalErrors('apps/monitor/src/probe.controller.ts', code)).toEqual([]);
  });
});
