import { describe, expect, it } from 'vitest';
import { checksumOf, compareShard } from './user-checksum.js';

const d = (n: number) => n.toString(16).padStart(32, '0');

describe('checksums', () => {
  it('does not depend on order, and changes with any digest', () => {
    expect(checksumOf([d(1), d(2), d(3)])).toEqual(checksumOf([d(3), d(1), d(2)]));
    expect(checksumOf([d(1), d(2)])).not.toEqual(checksumOf([d(1), d(4)]));
    expect(checksumOf([])).toEqual({ count: 0, sum: d(0) });
  });

  it('wraps at 2^128', () => {
    expect(checksumOf(['f'.repeat(32), d(2)]).sum).toBe(d(1));
  });

  it('equal sets compare equal; otherwise names every missing, extra and different user, sorted', () => {
    const expected = new Map([
      ['a', d(1)],
      ['b', d(2)],
      ['c', d(3)],
    ]);
    expect(
      compareShard(
        0,
        expected,
        new Map([
          ['c', d(3)],
          ['a', d(1)],
          ['b', d(2)],
        ]),
      ),
    ).toMatchObject({ equal: true, differences: [] });
    const actual = new Map([
      ['a', d(1)],
      ['c', d(9)],
      ['z', d(5)],
    ]);
    const result = compareShard(2, expected, actual);
    expect(result.equal).toBe(false);
    expect(result.shardId).toBe(2);
    expect(result.differences).toEqual([
      { userId: 'b', kind: 'missing' },
      { userId: 'c', kind: 'different' },
      { userId: 'z', kind: 'extra' },
    ]);
  });
});
