// One stretch of generation on one context sequence: a raw completion (LlamaCompletion) or a chat answer (LlamaChat
// directly, per request, keeping no history), with the request's sampling, stop strings and JSON-schema grammar,
// streaming text chunks as the model writes them. `stop` aborts llama.cpp's evaluation at once (stopOnAbortSignal:
// the call returns what was written so far). A run resumed after a pause continues from the prompt plus the text
// already written (the chat: the assistant's turn so far), so its output joins on.
import type { LlamaGrammar, NodeLlamaCpp } from '../node-llama-cpp';
import type { ResidentModel } from '../engine/llama-engine';
import { chatHistory, chatWrapperOf } from './prompt-tokens';
import type { GenerationSpec } from './generation-spec';

export type RunStop = 'end-of-sequence' | 'max-tokens' | 'stop-string' | 'aborted';

export interface RunInput {
  readonly api: NodeLlamaCpp;
  readonly resident: ResidentModel;
  readonly spec: GenerationSpec;
  /** Text already written in earlier runs (a resumed generation). */
  readonly continuation: string;
  /** Tokens this run may write. */
  readonly maxTokens: number;
  readonly grammar: LlamaGrammar | undefined;
  readonly stop: AbortSignal;
  /** Each chunk, with the tokens this run has written so far. */
  readonly onText: (text: string, tokens: number) => void;
}

export interface RunOutcome {
  readonly text: string;
  readonly stop: RunStop;
  readonly completionTokens: number;
  /** performance.now() of the first text chunk, if any came. */
  readonly firstTextAt: number | undefined;
}

const toRunStop = (reason: string): RunStop => {
  switch (reason) {
    case 'maxTokens':
      return 'max-tokens';
    case 'customStopTrigger':
      return 'stop-string';
    case 'abort':
      return 'aborted';
    default:
      return 'end-of-sequence';
  }
};

export async function runGeneration(input: RunInput): Promise<RunOutcome> {
  const { api, resident, spec } = input;
  const sequence = resident.context.getSequence();
  const meter = sequence.tokenMeter.getState();
  let firstTextAt: number | undefined;
  const onTextChunk = (text: string): void => {
    if (text === '') return;
    firstTextAt ??= performance.now();
    input.onText(text, sequence.tokenMeter.diff(meter).usedOutputTokens);
  };
  const sampling = {
    maxTokens: input.maxTokens,
    temperature: spec.temperature,
    ...(spec.topP !== undefined ? { topP: spec.topP } : {}),
    ...(spec.topK !== undefined ? { topK: spec.topK } : {}),
    ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
    ...(spec.stop.length > 0 ? { customStopTriggers: spec.stop } : {}),
    ...(input.grammar ? { grammar: input.grammar } : {}),
    signal: input.stop,
    stopOnAbortSignal: true,
    onTextChunk,
  };
  try {
    if (spec.input.kind === 'raw') {
      const completion = new api.LlamaCompletion({ contextSequence: sequence });
      try {
        // The whole prompt fits (checked before): no context shift, and the engine must not cut the prompt's start.
        const { response, metadata } = await completion.generateCompletionWithMeta(spec.input.prompt + input.continuation, {
          ...sampling,
          disableContextShift: true,
          contextShiftSize: 1,
        });
        return { text: response, stop: toRunStop(metadata.stopReason), completionTokens: sequence.tokenMeter.diff(meter).usedOutputTokens, firstTextAt };
      } finally {
        completion.dispose();
      }
    }
    const chat = new api.LlamaChat({ contextSequence: sequence, chatWrapper: chatWrapperOf(api, sequence.model) });
    try {
      const { response, metadata } = await chat.generateResponse(chatHistory(spec.input.messages, input.continuation), {
        ...sampling,
        trimWhitespaceSuffix: false,
      });
      return { text: response, stop: toRunStop(metadata.stopReason), completionTokens: sequence.tokenMeter.diff(meter).usedOutputTokens, firstTextAt };
    } finally {
      chat.dispose();
    }
  } finally {
    await sequence.dispose();
  }
}
