import { describe, expect, it } from 'vitest';
import { ShardUserCounts } from './shard-user-counts.js';

describe('ShardUserCounts', () => {
  it('counts at most once per maxAge, and concurrent refreshes share one round', async () => {
    let now = 1_000;
    let calls = 0;
    const counts = new ShardUserCounts([0, 1], async (id) => (calls++, id * 10 + calls), { maxAgeMs: 100, clock: () => now });
    await Promise.all([counts.refreshIfStale(), counts.refreshIfStale()]);
    expect(calls).toBe(2);
    expect([...counts.snapshot().keys()]).toEqual([0, 1]);
    now += 99;
    await counts.refreshIfStale();
    expect(calls).toBe(2);
    now += 1;
    await counts.refreshIfStale();
    expect(calls).toBe(4);
  });

  it('keeps the last count of a shard that fails, and has none before its first success', async () => {
    let now = 0;
    let failing = new Set([1]);
    const counts = new ShardUserCounts(
      [0, 1],
      async (id) => {
        if (failing.has(id)) throw new Error('down');
        return 5 + id;
      },
      { maxAgeMs: 10, clock: () => now },
    );
    await counts.refreshIfStale();
    expect(Object.fromEntries(counts.snapshot())).toEqual({ 0: 5 });
    failing = new Set();
    now = 10;
    await counts.refreshIfStale();
    expect(Object.fromEntries(counts.snapshot())).toEqual({ 0: 5, 1: 6 });
    failing = new Set([0, 1]);
    now = 20;
    await counts.refreshIfStale();
    expect(Object.fromEntries(counts.snapshot())).toEqual({ 0: 5, 1: 6 });
  });
});
