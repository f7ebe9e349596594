/**
 * RFC 4648 §6 base32 (alphabet A–Z, 2–7). Encoding emits upper case with `=` padding unless told
 * otherwise; decoding accepts either case, with or without padding, and refuses anything that is
 * not the canonical encoding of some bytes (stray characters, impossible lengths, non-zero spare
 * bits), so that every byte string has exactly one accepted spelling per case.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const VALUES = new Map([...ALPHABET].map((char, index) => [char, index]));
// Characters left in the last 8-character block for 0..4 trailing bytes; other lengths cannot occur.
const VALID_TAIL_LENGTHS = new Set([0, 2, 4, 5, 7]);

export function encodeBase32(bytes: Uint8Array, options: { padding?: boolean } = {}): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  if (options.padding ?? true) out += '='.repeat((8 - (out.length % 8)) % 8);
  return out;
}

export function decodeBase32(text: string): Uint8Array {
  const body = text.replace(/=+$/, '');
  const paddedLength = Math.ceil(body.length / 8) * 8;
  if (body.length !== text.length && text.length !== paddedLength) throw new Error('invalid base32: wrong amount of padding');
  if (!VALID_TAIL_LENGTHS.has(body.length % 8)) throw new Error('invalid base32: impossible length');
  const out = new Uint8Array(Math.floor((body.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let written = 0;
  for (let i = 0; i < body.length; i++) {
    const value = VALUES.get((body[i] as string).toUpperCase());
    if (value === undefined) throw new Error(`invalid base32: unexpected character at position ${i}`);
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[written++] = (buffer >>> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) throw new Error('invalid base32: non-zero padding bits');
  return out;
}
