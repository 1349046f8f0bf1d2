import type { LlamaModel, NodeLlamaCpp } from '../node-llama-cpp';
import { chatWrapperOf } from './prompt-tokens';

describe('chatWrapperOf', () => {
  it('resolves a model’s chat wrapper once and gives every later caller the same one; another model gets its own', () => {
    const resolveChatWrapper = jest.fn(() => ({ wrapperName: 'Jinja' }));
    const api = { resolveChatWrapper } as unknown as NodeLlamaCpp; // only the resolver is at the edge here
    const [one, two] = [{}, {}] as unknown as LlamaModel[];
    const first = chatWrapperOf(api, one!);
    expect(chatWrapperOf(api, one!)).toBe(first);
    expect(chatWrapperOf(api, two!)).not.toBe(first);
    expect(resolveChatWrapper).toHaveBeenCalledTimes(2);
  });
});
