// Why a model did not load, as a ModelsError with llama.cpp's own reason: a file cut short or damaged (DAMAGED), an
// architecture this llama.cpp does not know (UNKNOWN_ARCHITECTURE), not a GGUF file at all (NOT_GGUF), anything
// else (LOAD_FAILED). The reason comes from the engine's log (see EngineLog) or from node-llama-cpp's GGUF reader.
import { ModelsError, ModelsErrorCode } from '../models.error';

/** The line llama.cpp logs last when a load fails: its reason was logged before it. */
export const LOAD_FAILED_LINE = /failed to load model/i;
const REASON_LINE = /error loading model: (.+)$/i;
const DAMAGED = /not within the file bounds|corrupted or incomplete|end of file|failed to read|unexpected ?eof|tensor data|invalid magic|file is truncated/i;
const UNKNOWN_ARCHITECTURE = /unknown model architecture/i;
const NOT_GGUF = /invalid gguf magic|not a gguf/i;

export interface LoadFailureInput {
  readonly modelName: string;
  readonly path: string;
  /** What loadModel threw. */
  readonly error: unknown;
  /** llama.cpp's lines logged during the load. */
  readonly engineLines: readonly string[];
}

export function classifyLoadFailure({ modelName, path, error, engineLines }: LoadFailureInput): ModelsError {
  if (error instanceof ModelsError) return error;
  const thrown = error instanceof Error ? error.message : String(error);
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const details = { model: modelName };
  if (errno === 'ENOENT') {
    return new ModelsError(
      ModelsErrorCode.LoadFailed,
      `The file of model "${modelName}" is missing (${path}); import or pull it again, or remove the model.`,
      details,
    );
  }
  if (errno === 'EACCES' || errno === 'EPERM') {
    return new ModelsError(ModelsErrorCode.LoadFailed, `The file of model "${modelName}" cannot be read (${errno}): check its permissions.`, details);
  }
  const reasons = engineLines.map((line) => REASON_LINE.exec(line)?.[1]).filter((reason): reason is string => reason !== undefined);
  const reason = reasons.at(-1) ?? thrown;
  const said = { ...details, reason };
  if (NOT_GGUF.test(thrown)) {
    return new ModelsError(ModelsErrorCode.NotGguf, `Model "${modelName}" is not a GGUF file (${thrown}); remove it and import a .gguf file.`, said);
  }
  if (UNKNOWN_ARCHITECTURE.test(reason)) {
    return new ModelsError(
      ModelsErrorCode.UnknownArchitecture,
      `Model "${modelName}" cannot be loaded: llama.cpp says "${reason}". This build of llama.cpp does not run that kind of model; choose another model.`,
      said,
    );
  }
  if (DAMAGED.test(reason)) {
    return new ModelsError(
      ModelsErrorCode.Damaged,
      `Model "${modelName}" is damaged or incomplete: llama.cpp says "${reason}". Pull or import the file again.`,
      said,
    );
  }
  return new ModelsError(
    ModelsErrorCode.LoadFailed,
    `Model "${modelName}" failed to load: ${reason === thrown ? thrown : `llama.cpp says "${reason}"`}.`,
    said,
  );
}
