import { describe, expect, it } from 'vitest';
import {
  advancePositions,
  commonPosition,
  positionFor,
  readPositions,
  uniformPositions,
  writePositions,
  type KeyText,
} from './shard-positions.js';

const cmp = (a: number, b: number) => a - b;
const NUM: KeyText<number> = {
  write: (k) => String(k),
  read: (t) => (/^[0-9]+$/.test(t) ? Number(t) : null),
};

describe('shard positions', () => {
  it('advances the shards that answered to the last row, keeps the others, never moves a shard back', () => {
    const before = { shardCount: 3, positions: [5, null, 20] };
    expect(advancePositions(before, (id) => id !== 1, 10, cmp).positions).toEqual([10, null, 20]);
    expect(advancePositions(before, () => true, 10, cmp).positions).toEqual([10, 10, 20]);
    expect(advancePositions(before, () => true, null, cmp)).toBe(before);
  });

  it('knows the common position, and maps a cursor of another shard count to its earliest position', () => {
    expect(commonPosition(uniformPositions(3, 7), cmp)).toBe(7);
    expect(commonPosition(uniformPositions<number>(3, null), cmp)).toBeNull();
    expect(commonPosition({ shardCount: 2, positions: [7, 8] }, cmp)).toBeUndefined();
    expect(commonPosition({ shardCount: 2, positions: [7, null] }, cmp)).toBeUndefined();
    const p = { shardCount: 3, positions: [9, 4, 6] };
    expect(positionFor(p, 2, 3, cmp)).toBe(6);
    expect(positionFor(p, 5, 6, cmp)).toBe(4);
    expect(positionFor({ shardCount: 2, positions: [9, null] }, 0, 4, cmp)).toBeNull();
    expect(positionFor(null, 0, 4, cmp)).toBeNull();
  });

  it('writes shards at one position on one line, and reads back exactly what it wrote', () => {
    const p = { shardCount: 6, positions: [10, 10, null, 10, 3, null] };
    const text = writePositions('a', p, NUM);
    expect(text.split('\n')).toEqual(['v2|a|6', '*|10', '2,5|-', '4|3']);
    expect(readPositions(text, NUM)).toEqual({ tag: 'a', positions: p });
    // Size: one line per distinct position, a few characters per shard that stands elsewhere.
    const many = { shardCount: 1000, positions: Array.from({ length: 1000 }, (_, i) => (i % 100 === 0 ? null : 42)) };
    expect(writePositions('a', many, NUM).length).toBeLessThan(60);
  });

  it('refuses texts it would not write', () => {
    for (const bad of [
      '',
      'v2|a|3',
      'v2|a|0\n*|1',
      'v2|a|3\n*|x',
      'v2|a|3\n*|1\n3|2',
      'v2|a|3\n*|1\n1|2\n1|3',
      'v2|a|3\n*|1\n01|2',
      'v2|a|3\n*|1\n1|2\n2|3\n0|4',
      'v2|a|99999\n*|1',
      'v2|A|3\n*|1',
      'v1|a|3\n*|1',
      'v2|a|3\n1|2',
    ]) {
      expect(readPositions(bad, NUM), JSON.stringify(bad)).toBeNull();
    }
  });
});
