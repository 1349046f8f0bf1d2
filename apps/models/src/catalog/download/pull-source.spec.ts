import { ModelsErrorCode } from '../../models.error';
import { parsePullSource, shownUrl } from './pull-source';

describe('parsePullSource', () => {
  it('maps hf:<owner>/<repo>/<file>.gguf to the Hugging Face resolve URL of the main branch', () => {
    const source = parsePullSource('hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF/qwen2.5-1.5b-instruct-q4_k_m.gguf');
    expect(source.url.href).toBe('https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/qwen2.5-1.5b-instruct-q4_k_m.gguf');
    expect(source.fileName).toBe('qwen2.5-1.5b-instruct-q4_k_m.gguf');
    expect(parsePullSource('hf:a/b/sub/dir/m.GGUF').url.pathname).toBe('/a/b/resolve/main/sub/dir/m.GGUF');
  });

  it('refuses hf: sources that are not a .gguf file in a repository', () => {
    for (const bad of ['hf:owner/repo', 'hf:owner/repo/model.bin', 'hf:../x/y.gguf', 'hf:owner/repo/../../y.gguf', 'hf:owner/re po/m.gguf', 'hf:']) {
      expect(() => parsePullSource(bad)).toThrow(
        expect.objectContaining({ code: ModelsErrorCode.InvalidArgument, message: expect.stringContaining('is not hf:<owner>/<repo>/<file>.gguf') }),
      );
    }
  });

  it('takes https URLs, and plain http only to this machine', () => {
    expect(parsePullSource('https://example.org/models/Tiny%20Model.gguf?download=1')).toMatchObject({ fileName: 'Tiny Model.gguf' });
    for (const loopback of ['http://127.0.0.1:8080/m.gguf', 'http://localhost/m.gguf', 'http://[::1]:9/m.gguf'])
      expect(parsePullSource(loopback).url.protocol).toBe('http:');
    expect(() => parsePullSource('http://example.org/m.gguf')).toThrow(
      expect.objectContaining({ code: ModelsErrorCode.InvalidArgument, message: expect.stringContaining('plain http') }),
    );
    expect(() => parsePullSource('ftp://example.org/m.gguf')).toThrow(
      expect.objectContaining({ code: ModelsErrorCode.InvalidArgument, message: expect.stringContaining('got ftp') }),
    );
    expect(() => parsePullSource('/home/me/m.gguf')).toThrow(
      expect.objectContaining({ code: ModelsErrorCode.InvalidArgument, message: expect.stringContaining('neither an https URL nor hf:') }),
    );
  });

  it('shows a URL without credentials or query', () => {
    expect(shownUrl(new URL('https://user:pass@cdn.example/a/m.gguf?X-Amz-Signature=abc#x'))).toBe('https://cdn.example/a/m.gguf');
  });
});
