// Z85 (ZeroMQ RFC 32): the text form zeromq uses for CURVE keys. 4 bytes become 5 printable characters.
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export function z85Encode(data: Uint8Array): string {
  if (data.length % 4 !== 0) throw new RangeError(`Z85 input length must be a multiple of 4, got ${data.length}.`);
  let out = '';
  for (let i = 0; i < data.length; i += 4) {
    let value = ((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!) >>> 0;
    const chunk = new Array<string>(5);
    for (let j = 4; j >= 0; j--) {
      chunk[j] = ALPHABET[value % 85]!;
      value = Math.floor(value / 85);
    }
    out += chunk.join('');
  }
  return out;
}

export function z85Decode(text: string): Buffer {
  if (text.length % 5 !== 0) throw new RangeError(`Z85 text length must be a multiple of 5, got ${text.length}.`);
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const code = text.charCodeAt(i + j);
      const digit = code < 128 ? DECODE[code]! : -1;
      if (digit < 0) throw new RangeError(`Invalid Z85 character at position ${i + j}.`);
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) throw new RangeError(`Z85 group at position ${i} is out of range.`);
    out.writeUInt32BE(value, o);
  }
  return out;
}
