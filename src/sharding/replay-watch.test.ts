import { describe, expect, it } from 'vitest';
import type { Topology } from '../config/topology.js';
import { ReplayPositions, type NodePosition } from './replay-positions.js';
import { ReplayWatch } from './replay-watch.js';
import { buildShards } from './shard.js';

const node = (port: number) => ({ host: '127.0.0.1', port, user: 'postgres', password: '', dbname: 'shardgate' });
const topology: Topology = { shards: [{ shardId: 0, primary: node(5000), replicas: [node(5001), node(5002)] }] };
const [shard] = buildShards(topology);
const [r0, r1] = shard!.replicas;
const pos = (lsn: bigint, timeline = 1): NodePosition => ({ systemId: 9n, timeline, lsn, at: Date.now() });
const wanted = { lsn: 100n, systemId: 9n, timeline: 1 };

describe('ReplayWatch', () => {
  it('answers at once when a candidate is known to be caught up, without reading anything', async () => {
    const positions = new ReplayPositions();
    positions.record(r1!, pos(100n));
    let reads = 0;
    const watch = new ReplayWatch(positions, async () => {
      reads++;
      return pos(0n);
    });
    expect(await watch.waitFor([r0!, r1!], wanted, 50)).toBe(r1);
    expect(reads).toBe(0);
  });

  it('shares one reader per standby among waiters, and stops reading once they are served', async () => {
    const positions = new ReplayPositions();
    let lsn = 0n;
    let reads = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const watch = new ReplayWatch(
      positions,
      async () => {
        reads++;
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await new Promise((r) => setTimeout(r, 1));
        inFlight--;
        lsn += 30n;
        return pos(lsn);
      },
      { intervalMs: 2 },
    );
    const served = await Promise.all(Array.from({ length: 20 }, () => watch.waitFor([r0!], wanted, 5_000)));
    expect(served.every((n) => n === r0)).toBe(true);
    expect(maxInFlight).toBe(1);
    expect(reads).toBe(4); // 30, 60, 90, 120
    await new Promise((r) => setTimeout(r, 20));
    expect(reads).toBe(4);
  });

  it('gives up after the wait, and a standby on another timeline never satisfies it', async () => {
    const positions = new ReplayPositions();
    const watch = new ReplayWatch(positions, async () => pos(1_000n, 2), { intervalMs: 2 });
    const started = Date.now();
    expect(await watch.waitFor([r0!], wanted, 30)).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(await watch.waitFor([r0!], wanted, 0)).toBeNull();
  });

  it('ends a wait when a probe reports the position', async () => {
    const positions = new ReplayPositions();
    const watch = new ReplayWatch(positions, () => new Promise(() => {}));
    const waiting = watch.waitFor([r0!], wanted, 5_000);
    positions.record(r0!, pos(150n));
    expect(await waiting).toBe(r0);
  });
});
