// The memory job is background work: the monitor holds it while the machine runs on battery (and while the user is
// active), and it runs once the hold ends; a reply, which a person waits for, is never held. Real processes (bus,
// keys, storage, the monitor reading a recorded machine from its samples file, models with generated models, the
// conversation app, the real gateway for consent); the test switches the recorded machine between battery and mains.
import { rename, writeFile } from 'node:fs/promises';
import { ConversationTopics, JobClass, JobState, MEMORY_CONSENT_PURPOSE, ModelPurpose, MonitorTopics } from '@aico/contracts';
import { RecordedMachine } from '../models/admission-support';
import { ConsentGateway } from '../support/consent-gateway';
import { CONVERSATION_STACK_START_TIMEOUT_MS, ConversationStack } from '../support/conversation-stack';
import { eventually } from '../support/system-bus';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

const GIB = 1024 ** 3;
const PASSWORD = 'Memory-background-password-2026!';

describe('the memory job waits while the machine is on battery', () => {
  let machine: RecordedMachine;
  let stack: ConversationStack;
  let gateway: ConsentGateway;

  /** The machine as the monitor reads it: plenty of memory, a quiet CPU, a battery at 30 % on mains or not. */
  const power = async (acConnected: boolean): Promise<void> => {
    const sample = { cpuPercent: 10, memory: { totalBytes: 16 * GIB, availableBytes: 10 * GIB }, battery: { percent: 30, acConnected } };
    await writeFile(`${machine.file}.tmp`, JSON.stringify(sample));
    await rename(`${machine.file}.tmp`, machine.file);
  };
  const holdsBackground = async (): Promise<boolean> =>
    (await stack.models.requester.request(MonitorTopics.resourceStatus, {})).conditions.some(
      (condition) => condition.code === 'battery_below_background_minimum',
    );

  beforeAll(
    async () => {
      machine = await RecordedMachine.create();
      await power(true);
      stack = await ConversationStack.start({
        // The user counts as idle a second after the gateway last saw them (their consent request): only the battery holds the job here.
        monitorEnv: { ...machine.monitorEnv, AICO_MONITOR__BATTERY_INTERVAL_MS: '100', AICO_MONITOR__ACTIVITY__IDLE_AFTER_MS: '1000' },
        conversationEnv: {
          AICO_CONVERSATION__MEMORY__DEBOUNCE_MS: '0',
          AICO_CONVERSATION__MEMORY__SUMMARY_MAX_CHARS: '60',
          AICO_CONVERSATION__MEMORY__FACT_MAX_CHARS: '40',
          AICO_CONVERSATION__MEMORY__MAX_FACTS_PER_EXCHANGE: '2',
          AICO_CONVERSATION__DEFAULT_MAX_TOKENS: '24',
        },
      });
      await stack.models.addModel('memory', { context: 4096 }, [ModelPurpose.BACKGROUND]);
      gateway = await ConsentGateway.start(stack);
    },
    CONVERSATION_STACK_START_TIMEOUT_MS + 2 * SIGNAL_TIMEOUT_MS,
  );

  afterAll(async () => {
    await gateway?.stop();
    await stack?.stop();
    await machine?.remove();
  });

  it('holds the memory job on battery (the reply is not held), and runs it once on mains', async () => {
    const token = await gateway.user('bea', PASSWORD);
    await gateway.consent(token, MEMORY_CONSENT_PURPOSE, true);
    await power(false);
    await eventually(async () => ((await holdsBackground()) ? true : undefined), 'the monitor holding background work on battery', SIGNAL_TIMEOUT_MS);

    // The reply is interactive: it is written on battery.
    const { sent, completed } = await stack.exchange('bea', 'My name is Bea and I play the cello.');
    expect(completed.text.length).toBeGreaterThan(0);

    // The memory job is submitted as background work and held.
    const held = await eventually(
      async () =>
        (await stack.models.requester.request(MonitorTopics.queueList, { submitter: 'models' })).jobs.find(
          (job) => job.jobClass === JobClass.BACKGROUND && (job.state === JobState.PAUSED || job.state === JobState.QUEUED),
        ),
      'the memory job waiting in the monitor',
      SIGNAL_TIMEOUT_MS,
    );
    expect(held.reason).toMatch(/battery/i);
    const conversation = stack.process('conversation');
    expect(conversation.lines.some((line) => line.msg === 'Memory updated')).toBe(false);
    expect(await stack.gateway.request(ConversationTopics.memoryList, { userId: 'bea' })).toMatchObject({ enabled: true, facts: [], summaries: 0 });

    // On mains the hold ends: the job runs and the thread gets its summary.
    await power(true);
    await conversation.waitFor((line) => line.msg === 'Memory updated' && line['user'] === 'bea', SIGNAL_TIMEOUT_MS, '"Memory updated" for bea');
    const finished = (await stack.models.requester.request(MonitorTopics.queueList, { submitter: 'models' })).jobs.find((job) => job.id === held.id);
    expect(finished?.state).toBe(JobState.SUCCEEDED);
    expect((await stack.gateway.request(ConversationTopics.memoryList, { userId: 'bea' })).summaries).toBe(1);
    const thread = await stack.gateway.request(ConversationTopics.threadGet, { userId: 'bea', threadId: sent.thread!.id });
    expect(thread.thread!.summary).not.toBe('');
  });
});
