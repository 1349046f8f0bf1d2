// What a GGUF file says about the model in it, read in JS without loading any weights (node-llama-cpp's
// readGgufFileInfo reads the header only), and why a file is refused: not GGUF at all, cut short or damaged (every
// tensor's data must lie inside the file, as llama.cpp checks when it loads), or an architecture llama.cpp does not
// know. The list of architectures is node-llama-cpp's GgufArchitectureType, which follows the bundled llama.cpp
// release (the spec checks each name against that binary's own answer).
import { open, stat } from 'node:fs/promises';
import type { GgufFileInfo } from 'node-llama-cpp';
import { tensorDataBytes } from './ggml-type-sizes';
import { ModelsError, ModelsErrorCode } from '../models.error';
import type { NodeLlamaCpp } from '../node-llama-cpp';

/** The facts a catalog entry keeps about its file. */
export interface GgufFacts {
  readonly sizeBytes: bigint;
  readonly architecture: string;
  readonly parameters: bigint;
  /** The file type (general.file_type), e.g. Q4_K_M, F16; else the most common tensor type. */
  readonly quantization: string;
  readonly contextLength: number;
  readonly hasChatTemplate: boolean;
  readonly embeddingLength: number;
  readonly blockCount: number;
  /** general.name, or '' when the file has none. */
  readonly displayName: string;
}

export type GgufReader = Pick<NodeLlamaCpp, 'readGgufFileInfo' | 'GgufArchitectureType' | 'GgufFileType' | 'GgmlType'>;

/** The GGUF versions llama.cpp reads (gguf.cpp: version 1 is refused, nothing newer than 3 exists). */
const READABLE_VERSIONS = new Set([2, 3]);
/**
 * Names in GgufArchitectureType that are not language models llama.cpp can load as a main model: the enum's
 * placeholder, and CLIP (a vision projector: llama.cpp refuses it as a main model, "use it with --mmproj").
 */
const NOT_LOADABLE = new Set(['(unknown)', 'clip']);
/** Large tokenizer arrays the catalog never reads (150k+ entries in real models): skipped while parsing. */
const SKIPPED_KEYS = ['tokenizer.ggml.tokens', 'tokenizer.ggml.scores', 'tokenizer.ggml.token_type', 'tokenizer.ggml.merges'];

/** The architectures a model may have: llama.cpp knows them and loads them as a language model. */
export function supportedArchitectures(api: Pick<NodeLlamaCpp, 'GgufArchitectureType'>): ReadonlySet<string> {
  // A const enum in node-llama-cpp's typings, a plain object at run time (isolatedModules cannot inline it).
  const names = Object.values((api as unknown as { GgufArchitectureType: Record<string, string> }).GgufArchitectureType);
  return new Set(names.filter((name) => !NOT_LOADABLE.has(name)));
}

/**
 * Reads a GGUF file's facts, or throws a ModelsError: INVALID_ARGUMENT (no such file, a directory, unreadable),
 * NOT_GGUF, DAMAGED (cut short, or a header that does not parse), UNKNOWN_ARCHITECTURE. `shownPath` is how the
 * messages name the file (the caller's path, not a temporary one).
 */
export async function inspectGgufFile(path: string, api: GgufReader, shownPath = path): Promise<GgufFacts> {
  const size = await fileSize(path, shownPath);
  await checkMagic(path, size, shownPath);
  let info: GgufFileInfo;
  try {
    // sourceType: a path that looks like a URL must never be fetched.
    info = await api.readGgufFileInfo(path, { sourceType: 'filesystem', logWarnings: false, ignoreKeys: SKIPPED_KEYS, spliceSplitFiles: false });
  } catch (error) {
    throw new ModelsError(
      ModelsErrorCode.Damaged,
      `${shownPath} is a GGUF file whose header does not parse: ${(error as Error).message}. Download or copy it again.`,
    );
  }
  if (!READABLE_VERSIONS.has(info.version)) {
    throw new ModelsError(ModelsErrorCode.NotGguf, `${shownPath} is GGUF version ${info.version}, which llama.cpp does not read (it reads versions 2 and 3).`, {
      version: String(info.version),
    });
  }
  checkBounds(info, size, shownPath);
  const architecture = String(info.metadata.general?.architecture ?? '');
  const known = supportedArchitectures(api);
  if (!known.has(architecture)) {
    throw new ModelsError(
      ModelsErrorCode.UnknownArchitecture,
      architecture
        ? `${shownPath} is a "${architecture}" model, an architecture the bundled llama.cpp does not know (it knows ${known.size}, e.g. llama, qwen2, qwen3, gemma3, phi3, mistral3). A newer aico may support it.`
        : `${shownPath} names no architecture (general.architecture is missing): it is not a model llama.cpp can load.`,
      { architecture },
    );
  }
  const model = info.architectureMetadata as { context_length?: unknown; embedding_length?: unknown; block_count?: unknown };
  const template = (info.metadata.tokenizer as { chat_template?: unknown } | undefined)?.chat_template;
  return {
    sizeBytes: BigInt(size),
    architecture,
    parameters: (info.fullTensorInfo ?? info.tensorInfo ?? []).reduce(
      (sum, tensor) => sum + tensor.dimensions.reduce<bigint>((product, dimension) => product * BigInt(dimension), 1n),
      0n,
    ),
    quantization: quantizationOf(info, api),
    contextLength: uint32(model.context_length),
    hasChatTemplate: typeof template === 'string' && template.trim() !== '',
    embeddingLength: uint32(model.embedding_length),
    blockCount: uint32(model.block_count),
    displayName: typeof info.metadata.general?.name === 'string' ? info.metadata.general.name.slice(0, 200) : '',
  };
}

async function fileSize(path: string, shownPath: string): Promise<number> {
  let stats;
  try {
    stats = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' || code === 'ENOTDIR'
        ? 'there is no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'the models service may not read it'
          : `it cannot be read (${code ?? 'error'})`;
    throw new ModelsError(ModelsErrorCode.InvalidArgument, `${shownPath}: ${why}. Give the absolute path of a .gguf file the models service can read.`, {
      errno: code ?? '',
    });
  }
  if (stats.isDirectory()) throw new ModelsError(ModelsErrorCode.InvalidArgument, `${shownPath} is a directory: give the path of a .gguf file in it.`);
  if (!stats.isFile()) throw new ModelsError(ModelsErrorCode.InvalidArgument, `${shownPath} is not a regular file: give the path of a .gguf file.`);
  return stats.size;
}

async function checkMagic(path: string, size: number, shownPath: string): Promise<void> {
  const magic = Buffer.alloc(4);
  let read = 0;
  try {
    const file = await open(path, 'r');
    try {
      ({ bytesRead: read } = await file.read(magic, 0, 4, 0));
    } finally {
      await file.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelsError(ModelsErrorCode.InvalidArgument, `${shownPath} cannot be read by the models service (${code ?? 'error'}).`, { errno: code ?? '' });
  }
  if (read < 4 || magic.toString('latin1') !== 'GGUF') {
    const what = size === 0 ? 'it is empty' : `it starts with ${JSON.stringify(magic.subarray(0, read).toString('latin1'))}, not "GGUF"`;
    throw new ModelsError(
      ModelsErrorCode.NotGguf,
      `${shownPath} is not a GGUF model file: ${what}. aico runs GGUF files (llama.cpp's format), e.g. <model>-Q4_K_M.gguf.`,
    );
  }
}

/** The metadata and every tensor's data must lie inside the file; readGgufFileInfo reads past its end as zeros. */
function checkBounds(info: GgufFileInfo, size: number, shownPath: string): void {
  const fileSize = BigInt(size);
  const damaged = (reason: string, details: Record<string, string>) =>
    new ModelsError(ModelsErrorCode.Damaged, `${shownPath} is damaged or cut short (${size} bytes): ${reason}. Download or copy it again.`, {
      sizeBytes: String(size),
      ...details,
    });
  if (info.infoEndOffset === undefined || BigInt(info.infoEndOffset) > fileSize) {
    throw damaged(`the file ends inside its metadata, which runs to byte ${info.infoEndOffset ?? '?'}`, { metadataEnd: String(info.infoEndOffset ?? '') });
  }
  for (const tensor of info.tensorInfo ?? []) {
    const start = BigInt(tensor.fileOffset);
    const bytes = tensorDataBytes(tensor.ggmlType, tensor.dimensions) ?? 0n;
    if (start + bytes > fileSize) {
      // llama.cpp's own words when it refuses such a file (llama-model-loader.cpp).
      throw damaged(`tensor '${tensor.name}' data is not within the file bounds (bytes ${start} to ${start + bytes})`, {
        tensor: tensor.name,
        tensorEnd: String(start + bytes),
      });
    }
  }
}

function quantizationOf(info: GgufFileInfo, api: GgufReader): string {
  const fileType = info.metadata.general?.file_type as number | undefined;
  const named = fileType === undefined ? undefined : (api.GgufFileType as unknown as Record<number, string | undefined>)[fileType];
  if (named) return named.replace(/^(MOSTLY|ALL)_/, '');
  // No file type: the type most of the tensors' elements have.
  const counts = new Map<number, bigint>();
  for (const tensor of info.tensorInfo ?? []) {
    counts.set(
      tensor.ggmlType,
      (counts.get(tensor.ggmlType) ?? 0n) + tensor.dimensions.reduce<bigint>((product, dimension) => product * BigInt(dimension), 1n),
    );
  }
  const [dominant] = [...counts].sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0))[0] ?? [];
  return dominant === undefined ? '' : ((api.GgmlType as unknown as Record<number, string | undefined>)[dominant] ?? `type ${dominant}`);
}

const uint32 = (value: unknown): number => (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff ? value : 0);
