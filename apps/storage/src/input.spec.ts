import { checkBytes, checkName, checkText } from './input';
import { StorageErrorCode } from './storage.error';

// Text reaching storage has been through protobuf (which turns lone surrogates into U+FFFD and refuses invalid
// UTF-8), so these checks are the second line: nothing that libSQL could not read back is ever written.
describe('input checks', () => {
  it.each([
    ['a lone high surrogate', 'a\uD800b'],
    ['a lone low surrogate', '\uDC00'],
    ['a reversed pair', '\uDC00\uD800'],
  ])('refuse %s in text', (_case, value) => {
    expect(() => checkText('message', value, { maxTextBytes: 100 })).toThrow(
      expect.objectContaining({ code: StorageErrorCode.InvalidText, message: expect.stringContaining('lone surrogate') }),
    );
  });

  it('accept well-formed text, including astral characters and U+FFFD', () => {
    expect(checkText('message', 'grüße 😀 \uFFFD', { maxTextBytes: 100 })).toBe('grüße 😀 \uFFFD');
  });

  it('measure limits in UTF-8 bytes, not characters', () => {
    expect(() => checkText('message', 'ü'.repeat(51), { maxTextBytes: 100 })).toThrow(
      expect.objectContaining({ code: StorageErrorCode.ValueTooLarge, details: expect.objectContaining({ bytes: '102' }) }),
    );
    expect(() => checkBytes('value', new Uint8Array(11), { maxValueBytes: 10 })).toThrow(expect.objectContaining({ code: StorageErrorCode.ValueTooLarge }));
  });

  it('refuse empty names and control characters in names', () => {
    expect(() => checkName('key', '')).toThrow(expect.objectContaining({ code: StorageErrorCode.InvalidArgument }));
    expect(() => checkName('key', 'a\nb')).toThrow(expect.objectContaining({ code: StorageErrorCode.InvalidText }));
    expect(() => checkName('key', 'x'.repeat(513))).toThrow(expect.objectContaining({ code: StorageErrorCode.ValueTooLarge }));
  });
});
