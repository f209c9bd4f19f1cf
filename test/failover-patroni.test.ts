import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayOptions } from '../src/config/gateway-options.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { eventuallyValue } from '../testkit/eventually.js';
import { eventually, openGatewayFixture, testGatewayOptions, type GatewayFixture } from './support/gateway-fixture.js';
import { createUserThrough, measureOutage, startWriteLoad, type WriteRecord } from './support/write-load.js';
import { withDirectSession } from '../testkit/pg-session.js';

// shardgate beside a real orchestrator: every node run by Patroni with a local
// etcd. Roles are read from PostgreSQL itself, so the gateway follows whatever
// Patroni decides, with no configuration of its own and no restart.
const SHARDS = 2;
const SHARD = 0;
const WRITERS = 4;

let cluster: ThrowawayCluster;
let fx: GatewayFixture;

beforeAll(async () => {
  cluster = await startThrowawayCluster({ shards: SHARDS, replicas: 1, ha: 'patroni', name: 'patroni-gw' });
  // A crash fails over after Patroni's ttl (10 s): writes must be allowed to wait that long.
  const env = { SHARDGATE_FAILOVER_BUFFER_MS: '30000', SHARDGATE_REQUEST_TIMEOUT_MS: '30000' };
  const base = loadGatewayOptions(env);
  const fast = testGatewayOptions();
  fx = await openGatewayFixture(cluster.topologyPath, { ...base, pool: fast.pool, health: fast.health }, {});
}, 240_000);

afterAll(async () => {
  await fx?.close();
  await cluster?.destroy();
});

const createUser = (userId: string) => createUserThrough(fx, SHARDS)(userId);

/** How many of `userIds` each node of the shard holds, read from whichever node is primary now. */
async function storedCounts(userIds: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const shard of cluster.topology.shards) {
    for (const node of [shard.primary, ...shard.replicas]) {
      try {
        await withDirectSession(
          { host: node.host, port: node.port, dbname: 'shardgate' },
          async (client) => {
            const { rows } = await client.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery');
            if (rows[0]!.in_recovery) return;
            const found = await client.query<{ user_id: string }>('SELECT user_id FROM users WHERE user_id = ANY($1::varchar[])', [
              userIds,
            ]);
            for (const r of found.rows) counts.set(r.user_id, (counts.get(r.user_id) ?? 0) + 1);
          },
          { connectionTimeoutMillis: 3000 },
        );
      } catch {
        // a node that is down holds nothing we can count
      }
    }
  }
  return counts;
}

type NodeView = { address: string; role: string; healthy: boolean };

/** Every shard's nodes as the gateway shows them (`shards { nodes }`), in topology order. */
async function nodeViews(): Promise<NodeView[][]> {
  const res = await fx.gql<{ shards: { id: number; nodes: NodeView[] }[] }>('{ shards { id nodes { address role healthy } } }');
  return res.data!.shards.map((s) => s.nodes);
}

/** The addresses of a shard's nodes in topology order (its configured primary first). */
const addressesOf = (shardId: number) => fx.shards.manager.shard(shardId).nodes.map((n) => n.address);
const portsOf = (shardId: number) => fx.shards.manager.shard(shardId).nodes.map((n) => n.config.port);

async function runUnderLoad(
  prefix: string,
  act: () => Promise<void>,
): Promise<{ records: WriteRecord[]; actStart: number; actEnd: number }> {
  const load = startWriteLoad(WRITERS, prefix, SHARDS, createUser);
  const okOn = (shard: number, after = 0) => load.records.filter((r) => r.ok && r.shardId === shard && r.start >= after).length;
  await eventually(() => okOn(0) >= 10 && okOn(1) >= 10, 30_000, 'a steady write load on every shard');
  const actStart = Date.now();
  await act();
  const actEnd = Date.now();
  await eventually(() => okOn(SHARD, actEnd) >= 10, 60_000, 'writes on the new leader');
  return { records: await load.stop(), actStart, actEnd };
}

describe('shardgate follows Patroni', () => {
  it('a planned `patronictl switchover`: writes wait for the new leader; only writes in flight at the demotion can fail', async () => {
    const before = fx.shards.manager.writeTarget(SHARD)?.node.address;
    const { records, actStart } = await runUnderLoad('sw', async () => {
      await cluster.failover(SHARD);
    });
    const outage = measureOutage(records, SHARD);
    console.log(`[patroni switchover] shard ${SHARD}: ${outage.writes} writes, ${outage.failed} failed, outage=${outage.outageMs} ms`);

    await eventually(() => fx.shards.manager.writeTarget(SHARD)?.node.address !== before, 10_000, 'the gateway to follow the new leader');
    // Every node's role: Patroni restarts the old leader as a standby of the new one, so the shard ends
    // with one primary and one replica, both serving; the other shard is as it was.
    const [oldLeader, newLeader] = addressesOf(SHARD);
    const views = await eventuallyValue(
      nodeViews,
      (v) => v[SHARD]!.every((n) => n.healthy) && v[SHARD]!.some((n) => n.role === 'REPLICA'),
      60_000,
    );
    expect(before).toBe(oldLeader);
    expect(views[SHARD]).toEqual([
      { address: oldLeader, role: 'REPLICA', healthy: true },
      { address: newLeader, role: 'PRIMARY', healthy: true },
    ]);
    expect(views[1 - SHARD]).toEqual(
      addressesOf(1 - SHARD).map((address, i) => ({ address, role: i === 0 ? 'PRIMARY' : 'REPLICA', healthy: true })),
    );
    // `cluster status` decides the same roles from its own probes.
    const status = await cluster.status();
    const observed = (shardId: number) =>
      portsOf(shardId).map((port) => status.find((n) => n.shardId === shardId && n.port === port)?.observedRole);
    expect(observed(SHARD)).toEqual(['replica', 'primary']);
    expect(observed(1 - SHARD)).toEqual(['primary', 'replica']);

    // Writes to the shard that failed were in flight when Patroni shut the old leader down (fast shutdown ends its sessions).
    const failed = records.filter((r) => !r.ok);
    expect(failed.every((r) => r.shardId === SHARD && r.code === 'SHARD_UNAVAILABLE' && r.start >= actStart)).toBe(true);
    expect(failed.length).toBeLessThanOrEqual(WRITERS);
    const acked = records.filter((r) => r.ok).map((r) => r.userId);
    const counts = await storedCounts(acked);
    expect(acked.filter((id) => counts.get(id) !== 1)).toEqual([]);
  });

  it('a crash (kill -9 of the leader and its Patroni): Patroni promotes, shardgate follows; only writes in flight at the crash fail', async () => {
    const leader = fx.shards.manager.writeTarget(SHARD)!.node.address;
    let killedAt = 0;
    const { records } = await runUnderLoad('crash', async () => {
      await cluster.killNode(SHARD, 'primary', 'SIGKILL');
      killedAt = Date.now();
    });
    const outage = measureOutage(records, SHARD);
    const firstOk = records.filter((r) => r.ok && r.shardId === SHARD && r.start >= killedAt).sort((a, b) => a.end - b.end)[0]!;
    console.log(
      `[patroni crash] shard ${SHARD}: ${outage.writes} writes, ${outage.failed} failed, outage=${outage.outageMs} ms, kill -9 → first ok write ${firstOk.end - killedAt} ms`,
    );

    expect(fx.shards.manager.writeTarget(SHARD)?.node.address).not.toBe(leader);
    // Every node's role: the killed leader's last word was "primary" on the old timeline, so it is fenced
    // (never a second PRIMARY); the node Patroni promoted is the primary; the other shard is as it was.
    const [configuredPrimary, configuredReplica] = addressesOf(SHARD);
    expect(leader).toBe(configuredReplica);
    const views = await nodeViews();
    expect(views[SHARD]).toEqual([
      { address: configuredPrimary, role: 'PRIMARY', healthy: true },
      { address: leader, role: 'FENCED', healthy: false },
    ]);
    expect(views[1 - SHARD]!.map((n) => [n.role, n.healthy])).toEqual([
      ['PRIMARY', true],
      ['REPLICA', true],
    ]);
    const ready = await fx.app.fetch('http://gateway.test/readyz');
    expect((await ready.json()).fencedNodes).toEqual([{ shardId: SHARD, address: leader, role: 'FENCED', reason: 'stale-primary' }]);
    const status = await cluster.status();
    expect(
      portsOf(SHARD)
        .map((port) => status.find((n) => n.port === port))
        .map((n) => [n?.up, n?.observedRole]),
    ).toEqual([
      [true, 'primary'],
      [false, null],
    ]);
    // Writes sent after the crash waited in the buffer and went to the new leader: none failed. A killed
    // postmaster's backends live on for a moment and may still take a write that then dies with them:
    // in flight at the crash, too.
    const failed = records.filter((r) => !r.ok);
    for (const r of failed) {
      expect(r.shardId).toBe(SHARD);
      expect(r.code).toBe('SHARD_UNAVAILABLE');
      expect(r.start).toBeLessThanOrEqual(killedAt + 1000);
    }
    expect(failed.length).toBeLessThanOrEqual(WRITERS);
    // The other shard never noticed.
    expect(records.filter((r) => r.shardId !== SHARD && !r.ok)).toEqual([]);
    // Asynchronous replication: a crash may lose what the replica had not received yet; what the gateway acknowledged
    // after the promotion is there exactly once.
    const ackedAfter = records.filter((r) => r.ok && r.start > killedAt).map((r) => r.userId);
    const counts = await storedCounts(ackedAfter);
    expect(ackedAfter.filter((id) => counts.get(id) !== 1)).toEqual([]);
  });
});
