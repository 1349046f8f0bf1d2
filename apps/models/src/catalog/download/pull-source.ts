// Where a pull may download from: an https URL, or `hf:<owner>/<repo>/<file>.gguf` (a file in a Hugging Face
// repository, its main branch). Plain http only on loopback (a server on this machine; tests), because anything on
// the way could swap the model. URLs are shown without credentials or query (signed download links carry tokens).
import { ModelsError, ModelsErrorCode } from '../../models.error';

export interface PullSource {
  readonly url: URL;
  /** The file name at the end of the path (the default model name comes from it). */
  readonly fileName: string;
}

const HF_PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const HUGGING_FACE = 'https://huggingface.co';

export function parsePullSource(source: string): PullSource {
  const text = source.trim();
  if (text.startsWith('hf:')) return huggingFace(text.slice(3), source);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ModelsError(ModelsErrorCode.InvalidArgument, `"${source.slice(0, 120)}" is neither an https URL nor hf:<owner>/<repo>/<file>.gguf.`);
  }
  checkDownloadUrl(url);
  const fileName = decodeURIComponent(url.pathname.split('/').at(-1) ?? '');
  return { url, fileName };
}

function huggingFace(path: string, source: string): PullSource {
  const [owner = '', repo = '', ...file] = path.split('/');
  const fileName = file.at(-1) ?? '';
  if (!HF_PART.test(owner) || !HF_PART.test(repo) || file.length === 0 || !file.every((part) => HF_PART.test(part)) || !/\.gguf$/i.test(fileName)) {
    throw new ModelsError(
      ModelsErrorCode.InvalidArgument,
      `"${source.slice(0, 120)}" is not hf:<owner>/<repo>/<file>.gguf (e.g. hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF/qwen2.5-1.5b-instruct-q4_k_m.gguf).`,
    );
  }
  return { url: new URL(`${HUGGING_FACE}/${owner}/${repo}/resolve/main/${file.map(encodeURIComponent).join('/')}`), fileName };
}

/** https anywhere; http only to this machine. Checked for the first URL and every redirect. */
export function checkDownloadUrl(url: URL): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return;
  throw new ModelsError(
    ModelsErrorCode.InvalidArgument,
    url.protocol === 'http:'
      ? `${shownUrl(url)} is plain http: a model is downloaded over https only (plain http only from this machine).`
      : `${shownUrl(url)}: a model is downloaded over https (got ${url.protocol.replace(/:$/, '')}).`,
  );
}

export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** A URL as messages and logs show it: scheme, host and path; never credentials or the query. */
export const shownUrl = (url: URL): string => `${url.protocol}//${url.host}${url.pathname}`;
