import { describe, expect, it } from 'vitest';
import { ShardUnavailableError } from '../../repository/errors.js';
import { Scatter } from '../../sharding/scatter.js';
import { routeAll } from '../../sharding/shard-route.js';
import { gatherShardPages, type GatherArgs, type GatheredPage } from './gather-shard-pages.js';
import type { ShardPositions } from './shard-positions.js';

const cmp = (a: number, b: number) => a - b;

/** Shard s holds the numbers n with n % shards === s, 1..total. */
function shardsOf(total: number, shards: number): number[][] {
  return Array.from({ length: shards }, (_, s) => Array.from({ length: total }, (_, i) => i + 1).filter((n) => n % shards === s));
}

function args(
  data: number[][],
  first: number,
  after: ShardPositions<number> | null,
  down: ReadonlySet<number>,
): GatherArgs<number, number> {
  return {
    scatter: new Scatter(),
    route: routeAll(data.length),
    shardCount: data.length,
    after,
    first,
    allowPartial: true,
    fetch: async (shardId, key, limit) => {
      if (down.has(shardId)) throw new ShardUnavailableError(shardId, 'down');
      return data[shardId]!.filter((n) => key === null || n > key).slice(0, limit);
    },
    keyOf: (n) => n,
    compare: cmp,
    owns: () => true,
    canMiss: (err) => err instanceof ShardUnavailableError,
  };
}

describe('gatherShardPages', () => {
  it('without a missing shard: the plain merge, one position for every shard', async () => {
    const page = await gatherShardPages(args(shardsOf(10, 3), 4, null, new Set()));
    expect(page.items).toEqual([1, 2, 3, 4]);
    expect(page.hasNextPage).toBe(true);
    expect(page.uniform).toBe(true);
    expect(page.end!.positions).toEqual([4, 4, 4]);
    expect(page.missing).toEqual([]);
  });

  it('a walk with shards going down and coming back sees every row exactly once', async () => {
    for (const first of [1, 2, 3, 5, 8]) {
      const data = shardsOf(40, 4);
      const seen: number[] = [];
      let after: ShardPositions<number> | null = null;
      for (let pageNo = 0; pageNo < 200; pageNo++) {
        // Shard 1 is down for pages 2..6, shard 3 for pages 4..9.
        const down = new Set<number>([...(pageNo >= 2 && pageNo <= 6 ? [1] : []), ...(pageNo >= 4 && pageNo <= 9 ? [3] : [])]);
        const page: GatheredPage<number, number> = await gatherShardPages(args(data, first, after, down));
        expect(page.missing.map((m) => m.shardId)).toEqual([...down].sort());
        page.items.forEach((n, i) => {
          seen.push(n);
          // Each edge's positions say where the walk would resume after it.
          expect(page.positionsAfter(i).positions.length).toBe(4);
        });
        if (!page.hasNextPage) break;
        after = page.end;
      }
      expect(seen.slice().sort(cmp)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    }
  });

  it('every shard down on the first page: an empty page that still says there is more, from the start', async () => {
    const page = await gatherShardPages(args(shardsOf(6, 2), 3, null, new Set([0, 1])));
    expect(page.items).toEqual([]);
    expect(page.hasNextPage).toBe(true);
    expect(page.end!.positions).toEqual([null, null]);
  });

  it('without allowPartial a missing shard fails the page; other errors fail it either way', async () => {
    const a = args(shardsOf(6, 2), 3, null, new Set([1]));
    await expect(gatherShardPages({ ...a, allowPartial: false })).rejects.toBeInstanceOf(ShardUnavailableError);
    await expect(gatherShardPages({ ...a, canMiss: () => false })).rejects.toBeInstanceOf(ShardUnavailableError);
  });
});
