const OFFSET_BASIS = 0x811c9dc5;
const PRIME = 0x01000193;
const encoder = new TextEncoder();

/**
 * 32-bit FNV-1a over the UTF-8 bytes of `input`, as an unsigned integer.
 *
 * This function decides where every user lives. Changing it, even in a way
 * that "looks the same" (hashing UTF-16 code units instead of UTF-8 bytes,
 * a signed result), silently moves users to shards that do not hold them.
 * The golden vectors in fnv1a32.test.ts freeze it.
 */
export function fnv1a32(input: string): number {
  let hash = OFFSET_BASIS;
  // ASCII fast path: for code units below 0x80 the UTF-8 byte is the code unit.
  let ascii = true;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c >= 0x80) {
      ascii = false;
      break;
    }
    hash = Math.imul(hash ^ c, PRIME);
  }
  if (ascii) return hash >>> 0;
  hash = OFFSET_BASIS;
  for (const byte of encoder.encode(input)) {
    hash = Math.imul(hash ^ byte, PRIME);
  }
  return hash >>> 0;
}
