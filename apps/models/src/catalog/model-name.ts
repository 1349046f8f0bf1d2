// A catalog model's name, which people type and requests carry: lowercase letters, digits, dots, dashes and
// underscores, starting with a letter or digit. It also names the weight file (<name>.gguf in the models directory),
// so it can never lead out of that directory.
import { ModelsError, ModelsErrorCode } from '../models.error';

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const MAX_NAME_LENGTH = 64;

/** The name as given, or INVALID_ARGUMENT saying what a name may be. */
export function checkModelName(name: string): string {
  if (!NAME.test(name) || name.endsWith('.gguf')) {
    throw new ModelsError(
      ModelsErrorCode.InvalidArgument,
      `"${name.slice(0, 80)}" is not a model name: use up to ${MAX_NAME_LENGTH} lowercase letters, digits, dots, dashes and underscores, starting with a letter or digit, without ".gguf" (e.g. qwen2.5-1.5b-instruct-q4_k_m).`,
    );
  }
  return name;
}

/**
 * A name made from a file name (the last part of a path or URL): without ".gguf", lowercased, every run of other
 * characters made one dash; INVALID_ARGUMENT when nothing usable is left (then the caller names it).
 */
export function nameFromFileName(fileName: string): string {
  const name = fileName
    .replace(/\.gguf$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, MAX_NAME_LENGTH)
    .replace(/[.-]+$/, '');
  if (!NAME.test(name)) {
    throw new ModelsError(ModelsErrorCode.InvalidArgument, `No model name can be made from "${fileName.slice(0, 80)}": give one (--name).`);
  }
  return name;
}

/** The weight file of a model, relative to the models directory. */
export const modelFileName = (name: string): string => `${name}.gguf`;
