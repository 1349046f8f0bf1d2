// How conversation memory is paced and bounded (`conversation.memory.*`): how long after an exchange the background
// job runs (so a quick back-and-forth is summarized once), how much the job reads and writes, how many facts a user
// keeps, and how much of a prompt memory may fill.
import { configInteger, z } from '@aico/config';

export const memoryConfigSchema = z
  .object({
    /** Quiet time after an exchange before its thread's memory job runs (another exchange restarts it). */
    debounceMs: configInteger.min(0).default(20_000),
    /** Characters of new messages one job reads (the newest; older ones are already in the rolling summary). */
    maxInputChars: configInteger.min(200).default(6_000),
    /** Longest rolling summary, in characters (the JSON schema's maxLength). */
    summaryMaxChars: configInteger.min(20).default(600),
    /** Longest fact, in characters (the JSON schema's maxLength). */
    factMaxChars: configInteger.min(10).max(500).default(160),
    /** Facts one job may add (the JSON schema's maxItems). */
    maxFactsPerExchange: configInteger.min(0).max(20).default(4),
    /** Facts kept per user; beyond it the oldest facts the user did not edit go first. */
    maxFactsPerUser: configInteger.min(1).default(50),
    /** Tokens the job may write. */
    maxTokens: configInteger.min(16).default(512),
    /** Characters of memory a prompt may carry (facts and summaries together). */
    promptBudgetChars: configInteger.min(0).default(2_000),
    /** Summaries of other recent threads a prompt may carry. */
    promptSummaries: configInteger.min(0).default(3),
    /** How long a consent answer is trusted (a `privacy.consent.changed` event clears it at once). */
    consentCacheMs: configInteger.min(0).default(30_000),
    /**
     * How long the consent check, the job's generation and an embedding may take. A consent check that gets no
     * answer counts as no (for consentCacheMs): a reply waits at most this long for it.
     */
    consentTimeoutMs: configInteger.min(100).default(2_000),
    jobTimeoutMs: configInteger.min(1_000).default(10 * 60_000),
    embedTimeoutMs: configInteger.min(100).default(5_000),
  })
  .prefault({});

export type MemoryConfig = z.infer<typeof memoryConfigSchema>;
