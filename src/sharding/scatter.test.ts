import { describe, expect, it } from 'vitest';
import { Scatter } from './scatter.js';
import { routeAll, routeKeys, type ShardRoute } from './shard-route.js';

/** A deferred per shard, so the test decides when each shard answers. */
function shardsUnderControl(n: number) {
  const started: number[] = [];
  const settle = new Map<number, { resolve: (v: string) => void; reject: (e: Error) => void }>();
  const fn = (shardId: number) =>
    new Promise<string>((resolve, reject) => {
      started.push(shardId);
      settle.set(shardId, { resolve, reject });
    });
  return { started, settle: (id: number) => settle.get(id)!, fn, n };
}

describe('Scatter', () => {
  it('starts every shard before any answers, and tells the listener the route', async () => {
    const routes: ShardRoute[] = [];
    const scatter = new Scatter((route) => routes.push(route));
    const shards = shardsUnderControl(3);
    const done = scatter.all(routeAll(3), shards.fn);
    expect(shards.started).toEqual([0, 1, 2]);
    for (const id of [2, 0, 1]) shards.settle(id).resolve(`s${id}`);
    expect(await done).toEqual(['s0', 's1', 's2']);
    expect(routes).toEqual([routeAll(3)]);
  });

  it('all: waits for every shard, then throws the first failure in route order', async () => {
    const scatter = new Scatter();
    const shards = shardsUnderControl(3);
    let finished = false;
    const done = scatter.all(routeAll(3), shards.fn).finally(() => (finished = true));
    shards.settle(2).reject(new Error('shard 2 down'));
    shards.settle(1).reject(new Error('shard 1 down'));
    await Promise.resolve();
    expect(finished).toBe(false);
    shards.settle(0).resolve('s0');
    await expect(done).rejects.toThrow('shard 1 down');
  });

  it('settled: a result per shard, positionally, so a caller can keep the shards that answered', async () => {
    const scatter = new Scatter();
    const route = routeKeys(['alice', 'bob', 'user-42'], 3);
    const results = await scatter.settled(route, async (shardId) => {
      if (shardId === 0) throw new Error('down');
      return shardId * 10;
    });
    expect(results.map((r) => r.shardId)).toEqual(route.kind === 'some' ? [...route.keysByShard.keys()] : []);
    for (const r of results)
      expect(r).toEqual(
        r.shardId === 0 ? { shardId: 0, ok: false, error: new Error('down') } : { shardId: r.shardId, ok: true, value: r.shardId * 10 },
      );
  });
});
