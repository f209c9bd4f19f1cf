import { describe, expect, it } from 'vitest';
import { seededRandom, seedFrom } from './seeded-random.js';

describe('seededRandom', () => {
  it('replays the same numbers for the same seed, and others for another', () => {
    const take = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 5 }, () => random());
    };
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
  });

  it('stays in [0, 1)', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 10_000; i++) {
      const x = random();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});

describe('seedFrom', () => {
  it('takes the seed from the environment, or makes one', () => {
    expect(seedFrom({ SEED: '123' }, 'SEED')).toBe(123);
    expect(Number.isInteger(seedFrom({}, 'SEED'))).toBe(true);
  });

  it('refuses a seed that is not a 32-bit unsigned integer', () => {
    expect(() => seedFrom({ SEED: 'abc' }, 'SEED')).toThrow(/SEED must be an integer/);
    expect(() => seedFrom({ SEED: '-1' }, 'SEED')).toThrow(/SEED/);
  });
});
