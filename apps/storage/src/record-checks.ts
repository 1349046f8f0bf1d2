// Which values each record kind refuses, before any of it reaches a row: names and text through input.ts's checks,
// plus each kind's own rules. Kept apart from record-mappings.ts (how a kind becomes a row and back), whose MAPPINGS
// hand each kind's check to the store; typed by case like MAPPINGS, so a check reads its own message with no cast.
import { checkBytes, checkName, checkText, type Limits } from './input';
import type { Case, ValueOf } from './record-mappings';
import { StorageError, StorageErrorCode } from './storage.error';

const invalid = (message: string) => new StorageError(StorageErrorCode.InvalidArgument, message);

type Fields = { readonly [field: string]: string };
/** Each named field of a value checked, `names` as names and then `texts` as text: `task.owner` from ('task', { owner }). */
const checkFields = (prefix: string, limits: Limits, names: Fields, texts: Fields): void => {
  for (const [field, name] of Object.entries(names)) checkName(`${prefix}.${field}`, name);
  for (const [field, text] of Object.entries(texts)) checkText(`${prefix}.${field}`, text, limits);
};

const ROLES = new Set(['admin', 'user', 'guest']);

/** The check of each kind: throws a StorageError naming the field that is refused. */
export const RECORD_CHECKS: { readonly [C in Case]: (value: ValueOf<C>, limits: Limits) => void } = {
  user(user, limits) {
    checkFields('user', limits, { username: user.username }, { display_name: user.displayName, password_hash: user.passwordHash });
    if (!ROLES.has(user.role)) throw invalid(`user.role must be admin, user or guest, not "${user.role}".`);
  },
  session(session, limits) {
    checkFields('session', limits, { user_id: session.userId, token_hash: session.tokenHash }, { client: session.client });
    if (!session.expiresAt) throw invalid('session.expires_at is required.');
  },
  consent: (consent, limits) => checkFields('consent', limits, { user_id: consent.userId, purpose: consent.purpose }, { source: consent.source }),
  task(task, limits) {
    // A task runs on a cron expression or a fixed interval.
    if (task.intervalMs === 0n) checkName('task.schedule', task.schedule);
    else checkText('task.schedule', task.schedule, limits);
    if (task.intervalMs > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('task.interval_ms is too large.');
    checkName('task.topic', task.topic);
    checkBytes('task.payload', task.payload, limits);
    checkFields('task', limits, {}, { time_zone: task.timeZone, missed_run_policy: task.missedRunPolicy, owner: task.owner, description: task.description });
    if (!Number.isFinite(task.backoffJitter)) throw invalid('task.backoff_jitter must be a finite number.');
  },
  taskRun: (run, limits) =>
    checkFields('task_run', limits, { task_id: run.taskId, status: run.status }, { error: run.error, run_id: run.runId, trigger: run.trigger }),
  job(job, limits) {
    checkName('job.kind', job.kind);
    checkName('job.status', job.status);
    checkBytes('job.payload', job.payload, limits);
    checkText('job.error', job.error, limits);
    checkText('job.owner', job.owner, limits);
  },
  setting(setting, limits) {
    checkText('setting.value_json', setting.valueJson, limits);
    try {
      JSON.parse(setting.valueJson);
    } catch {
      throw invalid(`setting.value_json of "${setting.id}" is not JSON.`);
    }
  },
  model(model, limits) {
    // A file name inside the models directory, never a path out of it.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(model.file)) throw invalid(`model.file must be a plain file name, not "${model.file.slice(0, 80)}".`);
    if (model.sha256 !== '' && !/^[0-9a-f]{64}$/.test(model.sha256)) throw invalid('model.sha256 must be 64 lowercase hex digits.');
    checkFields(
      'model',
      limits,
      {},
      { architecture: model.architecture, quantization: model.quantization, source: model.source, display_name: model.displayName },
    );
  },
  thread: (thread, limits) =>
    checkFields('thread', limits, { owner_id: thread.ownerId }, { title: thread.title, summary: thread.summary, summarized_through: thread.summarizedThrough }),
  threadMessage: (message, limits) =>
    checkFields(
      'thread_message',
      limits,
      { thread_id: message.threadId, owner_id: message.ownerId },
      { text: message.text, model: message.model, error_message: message.errorMessage },
    ),
  memoryFact(fact, limits) {
    checkFields('memory_fact', limits, { owner_id: fact.ownerId }, { text: fact.text, source_thread_id: fact.sourceThreadId });
    if (fact.embedding.length > 8192 || fact.embedding.some((x) => !Number.isFinite(x)))
      throw invalid('memory_fact.embedding must be at most 8192 finite numbers.');
  },
  persona: (persona, limits) =>
    checkFields(
      'persona',
      limits,
      {},
      { name: persona.name, system_prompt: persona.systemPrompt, expression: persona.expression, updated_by: persona.updatedBy },
    ),
};
