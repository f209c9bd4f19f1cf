import { describe, expect, it } from 'vitest';
import { fnv1a32 } from './fnv1a32.js';
import { shardIdFor } from './shard-id-for.js';

// Golden vectors of the published hash. If one of these fails, the change re-shards
// every existing user: do not "fix" the vector, fix the hash.
describe('fnv1a32 golden vectors', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
    ['user-42', 0x026073ab],
    ['alice', 0x872213e7],
    ['ü-ñ-✓', 0xb2dce6b3],
  ])('fnv1a32(%j) = %i', (input, expected) => {
    expect(fnv1a32(input)).toBe(expected);
  });

  it('places the contract users on their shards of 3', () => {
    expect(shardIdFor('user-42', 3)).toBe(0);
    expect(shardIdFor('alice', 3)).toBe(2);
    expect(shardIdFor('ü-ñ-✓', 3)).toBe(0);
  });

  it('hashes UTF-8 bytes, not UTF-16 code units, also outside the BMP', () => {
    const reference = (s: string) => {
      let h = 0x811c9dc5;
      for (const b of Buffer.from(s, 'utf8')) h = Number((BigInt(h ^ b) * 0x01000193n) & 0xffffffffn) >>> 0;
      return h >>> 0;
    };
    for (const s of ['😀', 'a😀b', 'Ωmega', 'x'.repeat(255), 'é', '\u0000']) {
      expect(fnv1a32(s)).toBe(reference(s));
    }
  });

  it('is always an unsigned 32-bit integer', () => {
    for (let i = 0; i < 1000; i++) {
      const h = fnv1a32(`user-${i}`);
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
    }
  });
});
