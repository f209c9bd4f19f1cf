import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HedgeOptions } from '../src/config/hedge-options.js';
import type { StatementEvent, StatementObserver, StatementOutcome } from '../src/repository/statement-observer.js';
import { SELECT_USER_BY_ID } from '../src/repository/user-statements.js';
import { eventually, openGatewayFixture, testGatewayOptions, type GatewayFixture } from './support/gateway-fixture.js';
import { startStallProxy, type StallProxy } from './support/stall-proxy.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { waitForReplicaRows, withClient } from '../testkit/wait-for-replica-rows.js';

// One shard, two replicas; the gateway reaches replica 0 through a proxy whose answers can be held back (a straggler).
let cluster: ThrowawayCluster;
let proxy: StallProxy;
let topologyPath: string;
const open: GatewayFixture[] = [];

interface Seen {
  node: string;
  hedge: boolean;
  statement: string;
  outcome?: string;
}

/** Every statement with its hedge flag, and every hedge's outcome. */
function watch(fx: GatewayFixture): { seen: Seen[]; hedges: string[] } {
  const seen: Seen[] = [];
  const hedges: string[] = [];
  const observer: StatementObserver = {
    onStart(event: StatementEvent) {
      const entry: Seen = { node: event.target.node.id, hedge: event.hedge === true, statement: event.statement.name };
      seen.push(entry);
      return (o: StatementOutcome) => {
        entry.outcome = o.outcome;
      };
    },
    onHedge: (_shard, outcome) => hedges.push(outcome),
  };
  fx.shards.db.addObserver(observer);
  return { seen, hedges };
}

async function gateway(hedge: HedgeOptions): Promise<GatewayFixture> {
  const fx = await openGatewayFixture(topologyPath, { ...testGatewayOptions(), hedge });
  open.push(fx);
  return fx;
}

beforeAll(async () => {
  cluster = await startThrowawayCluster({ shards: 1, replicas: 2, name: 'hedge' });
  proxy = await startStallProxy(cluster.topology.shards[0]!.replicas[0]!.port);
  const topology = structuredClone(cluster.topology);
  (topology.shards[0]!.replicas[0] as { port: number }).port = proxy.port;
  topologyPath = join(cluster.dir, 'straggler-topology.json');
  await writeFile(topologyPath, JSON.stringify(topology));
  const fx = await gateway({ afterMs: 'auto', budgetPercent: 0 });
  await fx.gql('mutation { createUser(input: {userId: "h-1", name: "H", email: "h@x.io"}) { userId } }');
  for (const r of cluster.topology.shards[0]!.replicas) await waitForReplicaRows(r, 1, 30_000);
});
afterAll(async () => {
  proxy?.resume();
  for (const fx of open) await fx.close();
  await proxy?.close();
  await cluster?.destroy();
});

const READ = '{ user(userId: "h-1") { userId } }';
const activeOnStraggler = () =>
  withClient(cluster.topology.shards[0]!.replicas[0]!, async (c) => {
    const { rows } = await c.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'shardgate' AND state = 'active'",
    );
    return rows[0]!.n;
  });

describe('hedged reads', () => {
  it('a read stuck on a straggler is answered by its hedge; the loser is cancelled on its server and its connection kept', async () => {
    const fx = await gateway({ afterMs: 20, budgetPercent: 100 });
    const { seen, hedges } = watch(fx);
    const straggler = fx.shards.manager.shard(0).replicas[0]!;
    // A slow first read on a loaded machine can make a probe miss: start from a straggler the gateway uses.
    await eventually(
      () => fx.shards.manager.isServable(straggler) && fx.shards.manager.healthOf(straggler).consecutiveFailures === 0,
      10_000,
      'the straggler to be in use',
    );
    const firstCopiesOnStraggler = () =>
      seen.filter((s) => s.node === straggler.id && !s.hedge && s.statement === SELECT_USER_BY_ID.name).length;
    proxy.stall();
    try {
      // Round-robin sends every other read there first, until its health probe misses through the stalled proxy.
      for (let i = 0; i < 30 && firstCopiesOnStraggler() < 2; i++) {
        const started = Date.now();
        const r = await fx.gql(READ);
        expect(r.errors).toBeUndefined();
        expect(r.data.user).toEqual({ userId: 'h-1' });
        // The statement timeout is 5 s: anything near it means no hedge answered.
        expect(Date.now() - started).toBeLessThan(2_500);
      }
      const stuck = seen.filter((s) => s.node === straggler.id && !s.hedge && s.statement === SELECT_USER_BY_ID.name);
      expect(stuck.length).toBeGreaterThan(0);
      expect(stuck.every((s) => s.outcome === 'cancelled')).toBe(true);
      expect(seen.filter((s) => s.hedge && s.outcome === 'ok').every((s) => s.node !== straggler.id)).toBe(true);
      expect(hedges.filter((h) => h === 'won').length).toBe(stuck.length);
      // The cancel request went through: the straggler's backends stopped working on the abandoned statements.
      await eventually(async () => (await activeOnStraggler()) === 0, 10_000, 'the cancelled statements to stop');
    } finally {
      proxy.resume();
    }
    // Their answers (57014, canceled) arrive now: the connections go back to the pool, not away.
    await eventually(
      () => {
        const stats = fx.shards.db.poolStats().find((p) => p.node.key === straggler.key)!;
        return stats.active === 0 && stats.idle >= 1;
      },
      10_000,
      "the straggler's connections to come back idle",
    );
  });

  it('hedges at most the budget: 5% of 400 reads that all want one, plus a burst of 10', async () => {
    const fx = await gateway({ afterMs: 1, budgetPercent: 5 });
    const { hedges } = watch(fx);
    for (let i = 0; i < 400; i++) expect((await fx.gql(READ)).errors).toBeUndefined();
    expect(hedges.length).toBeGreaterThan(0);
    expect(hedges.length).toBeLessThanOrEqual(400 * 0.05 + 10);
  });

  it('never hedges writes or STRONG reads, while EVENTUAL reads under the same setting are', async () => {
    const fx = await gateway({ afterMs: 1, budgetPercent: 100 });
    const { seen, hedges } = watch(fx);
    for (let i = 0; i < 30; i++) {
      expect((await fx.gql('{ user(userId: "h-1", consistency: STRONG) { userId } }')).errors).toBeUndefined();
      expect((await fx.gql(`mutation { updateUser(userId: "h-1", input: {name: "n${i}"}) { userId } }`)).errors).toBeUndefined();
    }
    expect(seen.filter((s) => s.hedge)).toEqual([]);
    expect(hedges).toEqual([]);
    for (let i = 0; i < 60; i++) expect((await fx.gql(READ)).errors).toBeUndefined();
    expect(seen.filter((s) => s.hedge).length).toBeGreaterThan(0);
  });
});
