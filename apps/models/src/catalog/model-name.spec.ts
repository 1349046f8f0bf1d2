import { checkModelName, modelFileName, nameFromFileName } from './model-name';
import { ModelsErrorCode } from '../models.error';

describe('model names', () => {
  it('accepts lowercase letters, digits, dots, dashes and underscores from a letter or digit', () => {
    for (const name of ['tiny', 'qwen2.5-1.5b-instruct-q4_k_m', '7b', 'a'.repeat(64)]) expect(checkModelName(name)).toBe(name);
  });

  it('refuses names that could lead out of the models directory, or name something else', () => {
    for (const name of ['', '../etc', '.hidden', 'Upper', 'with space', 'a/b', 'x.gguf', 'a'.repeat(65), 'ünïcode']) {
      expect(() => checkModelName(name)).toThrow(
        expect.objectContaining({ code: ModelsErrorCode.InvalidArgument, message: expect.stringContaining('is not a model name') }),
      );
    }
  });

  it('makes a name from a file name, or asks for one', () => {
    expect(nameFromFileName('Qwen2.5-1.5B-Instruct-Q4_K_M.gguf')).toBe('qwen2.5-1.5b-instruct-q4_k_m');
    expect(nameFromFileName('my model (final).GGUF')).toBe('my-model-final');
    expect(nameFromFileName('..weird.gguf')).toBe('weird');
    expect(nameFromFileName(`${'x'.repeat(70)}.gguf`)).toBe('x'.repeat(64));
    expect(() => nameFromFileName('.gguf')).toThrow(
      expect.objectContaining({ code: ModelsErrorCode.InvalidArgument, message: expect.stringContaining('give one (--name)') }),
    );
    expect(() => nameFromFileName('日本語.gguf')).toThrow(expect.objectContaining({ code: ModelsErrorCode.InvalidArgument }));
    expect(modelFileName('tiny')).toBe('tiny.gguf');
  });
});
