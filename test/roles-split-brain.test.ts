import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topology } from '../src/config/topology.js';
import { createApp } from '../src/server/create-app.js';
import { logRoleChanges } from '../src/server/log-role-changes.js';
import { openShards, type Shards } from '../src/repository/open-shards.js';
import { eventually, testGatewayOptions } from './support/gateway-fixture.js';
import { clusterNode, promoteNode } from './support/manual-failover.js';
import { StatementRecorder } from '../testkit/statement-recorder.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { migrateAll } from '../src/repository/migrations.js';
import { idOnShard } from './support/id-on-shard.js';
import { emailOnShard } from './support/email-on-shard.js';

/** Shards of this file's cluster. */
const SHARDS = 2;

// Roles read from PostgreSQL itself, on real nodes: a node of another
// cluster listed by mistake, and two standbys promoted at once (two
// primaries on one timeline) — the gateway must send them nothing.
let cluster: ThrowawayCluster;
let topology: Topology;

beforeAll(async () => {
  cluster = await startThrowawayCluster({ shards: SHARDS, replicas: 2, name: 'roles' });
  topology = cluster.topology;
});
afterAll(async () => {
  await cluster?.destroy();
});

/** Shards over `t`, with a statement recorder, a log capture, and the app; health started. */
async function open(t: Topology, failover = { bufferMs: 500, bufferMax: 100 }) {
  const lines: { msg: string; level: number; node?: string; reason?: string }[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  const recorder = new StatementRecorder();
  const shards: Shards = openShards(t, { ...testGatewayOptions(), failover }, { observers: [recorder] });
  logRoleChanges(shards.manager, logger);
  await shards.health.start();
  const app = createApp({ shards, logger: pino({ level: 'silent' }) });
  const gql = async (query: string) => {
    const res = await app.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    return (await res.json()) as { data: any; errors?: { extensions: Record<string, unknown> }[] };
  };
  /** Every node's displayed role, shard by shard, in topology order. */
  const roles = async () =>
    ((await gql('{ shards { nodes { role } } }')).data.shards as { nodes: { role: string }[] }[]).map((s) => s.nodes.map((n) => n.role));
  return { shards, app, gql, roles, recorder, lines, close: async () => (await app.dispose(), await shards.close()) };
}

describe('observed roles on real nodes', () => {
  it('a node of another PostgreSQL system listed in a shard serves nothing, and is logged as an error', async () => {
    // Shard 1's first replica, listed by mistake as a third replica of shard 0.
    const foreign = topology.shards[1]!.replicas[0]!;
    const wrong: Topology = {
      shards: [{ ...topology.shards[0]!, replicas: [...topology.shards[0]!.replicas, foreign] }, topology.shards[1]!],
    };
    const gw = await open(wrong);
    try {
      await migrateAll(gw.shards.db);
      const node = gw.shards.manager.shard(0).replicas[2]!;
      expect(gw.shards.manager.exclusionOf(node)).toBe('foreign-system');
      expect(gw.lines.filter((l) => l.level === 50 && l.node === node.address && l.reason === 'foreign-system')).toHaveLength(1);
      gw.recorder.reset();
      const userId = idOnShard(0, SHARDS, 'f');
      expect(
        (await gw.gql(`mutation { createUser(input: {userId: "${userId}", name: "F", email: "f@x.io"}) { userId } }`)).errors,
      ).toBeUndefined();
      for (let i = 0; i < 30; i++) expect((await gw.gql(`{ user(userId: "${userId}") { userId } }`)).errors).toBeUndefined();
      expect(gw.recorder.statements.filter((s) => s.nodeId === node.id)).toEqual([]);
      expect(new Set(gw.recorder.statements.filter((s) => s.role === 'replica').map((s) => s.nodeId)).size).toBe(2);
      // A standby of another system serves nothing, but it is a standby: shown as a replica.
      expect(await gw.roles()).toEqual([
        ['PRIMARY', 'REPLICA', 'REPLICA', 'REPLICA'],
        ['PRIMARY', 'REPLICA', 'REPLICA'],
      ]);
      const shards = await gw.gql('{ shards { id nodes { address healthy } } }');
      expect(shards.data.shards[0].nodes.find((n: { address: string }) => n.address === node.address)).toEqual({
        address: node.address,
        healthy: false,
      });
    } finally {
      await gw.close();
    }
  });

  it('two standbys promoted at once (two primaries on one timeline): no writes, SPLIT_BRAIN at once, until the topology drops one', async () => {
    // A buffer as long as the deadline: a split-brained write must not wait it out (it used to, and answered SHARD_TIMEOUT).
    const gw = await open(topology, { bufferMs: 10_000, bufferMax: 100 });
    try {
      await migrateAll(gw.shards.db);
      const manager = gw.shards.manager;
      const [r0, r1] = [await clusterNode(cluster.dir, 0, 'replica', 0), await clusterNode(cluster.dir, 0, 'replica', 1)];
      await Promise.all([promoteNode(r0), promoteNode(r1)]);
      await eventually(() => manager.noWriteReason(0) === 'SPLIT_BRAIN', 10_000, 'the split brain to be seen');
      const [oldPrimary, a, b] = manager.shard(0).nodes;
      expect(manager.exclusionOf(a!)).toBe('split-brain');
      expect(manager.exclusionOf(b!)).toBe('split-brain');
      // The original primary, still running on timeline 1, is superseded too.
      expect(manager.exclusionOf(oldPrimary!)).toBe('stale-primary');
      expect(gw.lines.some((l) => l.level === 50 && /split brain/.test(l.msg))).toBe(true);
      // Three nodes out of recovery, none of them shown as the primary.
      expect(await gw.roles()).toEqual([
        ['FENCED', 'FENCED', 'FENCED'],
        ['PRIMARY', 'REPLICA', 'REPLICA'],
      ]);
      expect(manager.shard(0).nodes.map((n) => manager.roleOf(n))).toEqual(['fenced', 'fenced', 'fenced']);

      gw.recorder.reset();
      const userId = idOnShard(0, SHARDS, 'sb');
      const started = Date.now();
      const write = await gw.gql(`mutation { createUser(input: {userId: "${userId}", name: "S", email: "s@x.io"}) { userId } }`);
      const waitedMs = Date.now() - started;
      expect(write.errors?.[0]?.extensions).toEqual({ code: 'SHARD_UNAVAILABLE', shardId: 0, reason: 'SPLIT_BRAIN' });
      expect(waitedMs, 'a split-brained write fails at once, not after the buffer').toBeLessThan(5_000);
      const strong = await gw.gql(`{ user(userId: "${userId}", consistency: STRONG) { userId } }`);
      expect(strong.errors?.[0]?.extensions).toEqual({ code: 'SHARD_UNAVAILABLE', shardId: 0, reason: 'SPLIT_BRAIN' });
      expect(gw.recorder.statements.filter((s) => s.shardId === 0)).toEqual([]);
      const ready = await gw.app.fetch('http://gateway.test/readyz');
      expect(ready.status).toBe(503);
      const readyBody = await ready.json();
      expect(readyBody.unavailableShards).toMatchObject([{ shardId: 0, reason: 'SPLIT_BRAIN' }]);
      expect(readyBody.fencedNodes).toEqual([
        { shardId: 0, address: oldPrimary!.address, role: 'FENCED', reason: 'stale-primary' },
        { shardId: 0, address: a!.address, role: 'FENCED', reason: 'split-brain' },
        { shardId: 0, address: b!.address, role: 'FENCED', reason: 'split-brain' },
      ]);
      // The other shard never noticed (for a user whose email's lookup row lives there too).
      const other = await gw.gql(
        `mutation { createUser(input: {userId: "${idOnShard(1, SHARDS, 'sb')}", name: "S", email: "${emailOnShard(1, SHARDS, 's')}"}) { userId } }`,
      );
      expect(other.errors).toBeUndefined();

      // An operator fences one of them out of the topology (a reload): the other takes the writes.
      const fenced: Topology = { shards: [{ ...topology.shards[0]!, replicas: [topology.shards[0]!.replicas[0]!] }, topology.shards[1]!] };
      const change = await gw.shards.reconfigure(fenced);
      expect(change.removed.map((n) => n.address)).toEqual([b!.address]);
      expect(manager.writeTarget(0)?.node.address).toBe(a!.address);
      // The old primary, still on timeline 1, stays fenced; the one left of the pair is the primary.
      expect(await gw.roles()).toEqual([
        ['FENCED', 'PRIMARY'],
        ['PRIMARY', 'REPLICA', 'REPLICA'],
      ]);
      const after = await gw.gql(`mutation { createUser(input: {userId: "${userId}", name: "S", email: "s@x.io"}) { userId } }`);
      expect(after.errors).toBeUndefined();
      expect(gw.recorder.statements.filter((s) => s.shardId === 0).every((s) => s.nodeId === a!.id)).toBe(true);
    } finally {
      await gw.close();
    }
  });
});
