// What the model reads: a raw prompt as it is (with the beginning-of-text token the model wants), or chat messages
// through the model's chat template (the wrapper node-llama-cpp resolves from the GGUF's tokenizer.chat_template),
// ending in the assistant's turn. Counted the way the engine will evaluate it, so a prompt that does not fit the
// context is refused (PROMPT_TOO_LONG) instead of being cut silently from the front, as the engine would.
import { ModelsError, ModelsErrorCode } from '../models.error';
import type { ChatHistoryItem, LlamaModel, NodeLlamaCpp } from '../node-llama-cpp';
import type { GenerationInput } from './generation-spec';

/** The chat as node-llama-cpp's history, ending in the model's turn (with what it already wrote, when resuming). */
export function chatHistory(messages: Extract<GenerationInput, { kind: 'chat' }>['messages'], continuation = ''): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((message): ChatHistoryItem => {
    switch (message.role) {
      case 'system':
        return { type: 'system', text: message.content };
      case 'user':
        return { type: 'user', text: message.content };
      case 'assistant':
        return { type: 'model', response: [message.content] };
    }
  });
  const last = history.at(-1);
  if (last?.type === 'model') {
    // An assistant message last: the model continues it.
    last.response = [`${last.response.join('')}${continuation}`];
  } else {
    history.push({ type: 'model', response: continuation ? [continuation] : [] });
  }
  return history;
}

type ChatWrapper = NonNullable<ReturnType<NodeLlamaCpp['resolveChatWrapper']>>;
const chatWrappers = new WeakMap<LlamaModel, ChatWrapper>();

/**
 * node-llama-cpp's chat wrapper for a model, resolved once per loaded model: resolving a GGUF's Jinja template tries
 * it on sample chats, which took most of a 145 ms token-count round trip on the bench model, and LlamaChat resolved it
 * again for every generation. Wrappers only turn a history into text, so one serves every sequence of the model.
 */
export function chatWrapperOf(api: NodeLlamaCpp, model: LlamaModel): ChatWrapper {
  let wrapper = chatWrappers.get(model);
  if (!wrapper) {
    wrapper = api.resolveChatWrapper(model);
    chatWrappers.set(model, wrapper);
  }
  return wrapper;
}

/** Tokens the engine evaluates for `input` (plus text the model already wrote, when resuming). */
export function countPromptTokens(api: NodeLlamaCpp, model: LlamaModel, input: GenerationInput, continuation = ''): number {
  if (input.kind === 'raw') {
    const bos = model.tokens.shouldPrependBosToken && model.tokens.bos !== null;
    return model.tokenize(input.prompt + continuation, false, bos ? 'trimLeadingSpace' : undefined).length + (bos ? 1 : 0);
  }
  return chatWrapperOf(api, model)
    .generateContextState({ chatHistory: chatHistory(input.messages, continuation) })
    .contextText.tokenize(model.tokenizer).length;
}

/** The prompt as the engine reads it, as text (special tokens as their text): what `models.promptLogFile` keeps. */
export function renderPrompt(api: NodeLlamaCpp, model: LlamaModel, input: GenerationInput): string {
  if (input.kind === 'raw') return input.prompt;
  return chatWrapperOf(api, model)
    .generateContextState({ chatHistory: chatHistory(input.messages) })
    .contextText.toString();
}

/** Refuses a prompt that leaves no room for a single token of answer. */
export function assertFits(promptTokens: number, contextSize: number, modelName: string): void {
  if (promptTokens < contextSize) return;
  throw new ModelsError(
    ModelsErrorCode.PromptTooLong,
    `The prompt is ${promptTokens} tokens, and model "${modelName}" reads at most ${contextSize} at once (the prompt and the answer together). Shorten the prompt, or raise models.contextSize if the model was trained for more.`,
    { promptTokens: String(promptTokens), contextSize: String(contextSize), model: modelName },
  );
}
