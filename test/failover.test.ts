import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSERT_USER } from '../src/repository/user-statements.js';
import type { RunningGateway } from '../src/server/start-gateway.js';
import type { ReplicaLag } from '../src/sharding/replica-lag.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { withClient } from '../testkit/wait-for-replica-rows.js';
import { eventually, openGatewayFixture, startTestGateway, testGatewayOptions, type GatewayFixture } from './support/gateway-fixture.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { idOnShard } from './support/id-on-shard.js';
import { emailOnShard } from './support/email-on-shard.js';

/** Shards of this file's cluster. */
const SHARDS = 3;

// These tests stop nodes for real (`pg_ctl stop`), so they get a cluster of their own.
let cluster: ThrowawayCluster;
let fx: GatewayFixture;

beforeAll(async () => {
  cluster = await startThrowawayCluster({ shards: SHARDS, replicas: 1 });
  fx = await openGatewayFixture(cluster.topologyPath);
  for (const shardId of [0, 1, 2]) {
    const userId = idOnShard(shardId, SHARDS, 'seed');
    await fx.gql(`mutation { createUser(input: {userId: "${userId}", name: "S", email: "s@x.io"}) { userId } }`);
  }
  await eventually(async () => (await fx.gql('{ users(first: 0) { totalCount } }')).data?.users.totalCount === 3, 10_000, 'replication');
});
afterAll(async () => {
  await fx?.close();
  await cluster?.destroy();
});

describe('replica failure', () => {
  it('reads hit the replica, fall back to the primary when it is stopped, and return when it restarts', async () => {
    const userId = idOnShard(1, SHARDS, 'seed');
    const read = async () => {
      fx.recorder.reset();
      const r = await fx.gql(`{ user(userId: "${userId}") { userId } }`);
      expect(r.errors).toBeUndefined();
      expect(r.data.user).toEqual({ userId });
      return fx.recorder
        .of()
        .filter((s) => s.outcome === 'ok')
        .map((s) => `${s.role}:${s.reason}`);
    };
    expect(await read()).toEqual(['replica:replica-read']);

    const stoppedAt = Date.now();
    await cluster.stopNode(1, 'replica');
    // The very next read still answers: the dead replica is skipped for the primary within the request.
    expect((await read())[0]).toMatch(/^primary:(replica-failed|no-healthy-replica)$/);
    await eventually(() => !fx.shards.manager.isServable(fx.shards.manager.shard(1).replicas[0]!), 5_000, 'ejection');
    expect(await read()).toEqual(['primary:no-healthy-replica']);
    const shards = await fx.gql('{ shards { id nodes { role healthy } } }');
    expect(shards.data.shards[1].nodes).toEqual([
      { role: 'PRIMARY', healthy: true },
      { role: 'REPLICA', healthy: false },
    ]);
    // Scatter-gather over all shards still answers.
    expect((await fx.gql('{ users(first: 10) { totalCount edges { node { userId } } } }')).data.users.totalCount).toBe(3);

    // Down for a while with no writes anywhere: once back, its last replayed transaction is old,
    // but it has nothing left to replay. That age is idleness, not lag.
    await eventually(() => Date.now() - stoppedAt >= 3_000, 10_000, 'the replica down for 3 s');
    const manager = fx.shards.manager;
    const replica = manager.shard(1).replicas[0]!;
    const lags: (ReplicaLag | null)[] = [];
    manager.onHealthChange((node, health) => {
      if (node.key === replica.key && health.consecutiveFailures === 0) lags.push(health.lag);
    });
    await cluster.startNode(1, 'replica');
    await eventually(() => manager.isServable(replica), 15_000, 're-admission');
    expect(await read()).toEqual(['replica:replica-read']);
    const age = await withClient(cluster.topology.shards[1]!.replicas[0]!, async (c) => {
      const { rows } = await c.query<{ age: number }>('SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS age');
      return rows[0]!.age;
    });
    expect(age).toBeGreaterThan(2.5);
    await eventually(() => lags.length >= 5, 10_000, 'five probes of the restarted replica');
    // Every probe since it came back: caught up (0) or unknown (null), never its downtime.
    expect(lags.filter((l) => l !== null && l.seconds !== null && l.seconds !== 0)).toEqual([]);
    expect(lags.at(-1)).toMatchObject({ seconds: 0 });
    const lagged = await fx.gql('{ shards { id nodes { role replicationLagSeconds } } }');
    expect(lagged.data.shards[1].nodes).toEqual([
      { role: 'PRIMARY', replicationLagSeconds: null },
      { role: 'REPLICA', replicationLagSeconds: 0 },
    ]);
  });
});

describe('a pooled connection that broke a moment ago', () => {
  // Shard 0's primary through a proxy that can reset the gateway's connections at once.
  let proxy: TcpProxy;
  let proxied: GatewayFixture;
  beforeAll(async () => {
    proxy = await TcpProxy.start(cluster.topology.shards[0]!.primary.port);
    const topology = structuredClone(cluster.topology) as unknown as { shards: { primary: { port: number } }[] };
    topology.shards[0]!.primary.port = proxy.port;
    const path = join(cluster.dir, 'proxied-primary-0.json');
    await writeFile(path, JSON.stringify(topology));
    proxied = await openGatewayFixture(path);
  });
  afterAll(async () => {
    await proxied?.close();
    await proxy?.close();
  });

  // The email's claim goes to shard 0 too: it is the write's first statement, the one that meets the broken connection.
  const email = emailOnShard(0, SHARDS, 'n');
  const create = (userId: string) =>
    proxied.gql(`mutation { createUser(input: {userId: "${userId}", name: "N", email: "${email}"}) { userId } }`);

  /**
   * Resets every connection through the proxy, then blocks this thread long
   * enough for the kernel to deliver the resets: the gateway has not read
   * them when its next statement goes out, so writing it fails (a write's
   * ECONNRESET). What a pooled connection meets when its node died a moment
   * before the statement was sent.
   */
  function resetUnnoticed(): void {
    proxy.reset();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }

  it('a write with nothing pipelined behind it, whose bytes could not be written, is retried on a new connection and succeeds', async () => {
    await proxied.shards.db.write(0, INSERT_USER, [idOnShard(0, SHARDS, 'cut-warm'), 'W', 'w@x.io']);
    expect(proxy.connections).toBeGreaterThan(0);
    const userId = idOnShard(0, SHARDS, 'after-cut');
    resetUnnoticed();
    const { rows } = await proxied.shards.db.write<{ user_id: string }>(0, INSERT_USER, [userId, 'N', 'n@x.io']);
    expect(rows.map((r) => r.user_id)).toEqual([userId]);
  });

  it('a GraphQL write, its WAL position pipelined behind it, answers SHARD_UNAVAILABLE (whether it was applied is unknown); the next one succeeds', async () => {
    expect((await create(idOnShard(0, SHARDS, 'gql-warm'))).errors).toBeUndefined();
    expect(proxy.connections).toBeGreaterThan(0);
    resetUnnoticed();
    const failed = await create(idOnShard(0, SHARDS, 'gql-after-cut'));
    expect(failed.errors?.[0]?.extensions).toEqual({ code: 'SHARD_UNAVAILABLE', shardId: 0 });
    expect((await create(idOnShard(0, SHARDS, 'gql-after-cut-2'))).errors).toBeUndefined();
  });
});

describe('primary failure', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    // A short failover buffer: with no replica promoted, a write waits this long for a primary, then fails.
    gateway = await startTestGateway(cluster.topologyPath, {
      migrate: false,
      options: { ...testGatewayOptions(), failover: { bufferMs: 1_500, bufferMax: 100 } },
    });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  const post = async (query: string) => {
    const res = await fetch(`http://127.0.0.1:${gateway.port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    return (await res.json()) as { data: any; errors?: any[] };
  };
  const create = (userId: string) =>
    post(`mutation { createUser(input: {userId: "${userId}", name: "N", email: "n@x.io"}) { userId shardId } }`);

  it('that shard answers SHARD_UNAVAILABLE after the failover buffer, other shards keep serving, /readyz names it, and writes resume without a restart', async () => {
    expect((await fetch(`http://127.0.0.1:${gateway.port}/readyz`)).status).toBe(200);
    await cluster.stopNode(2, 'primary');

    const started = Date.now();
    const failed = await create(idOnShard(2, SHARDS, 'during-outage'));
    // It waited for a primary for the buffer's time (no orchestrator promotes one here), then gave up.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors![0].extensions).toEqual({ code: 'SHARD_UNAVAILABLE', shardId: 2 });
    expect(JSON.stringify(failed)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|postgres/);

    // Other shards' writes succeed.
    expect((await create(idOnShard(0, SHARDS, 'during-outage'))).data.createUser.shardId).toBe(0);
    expect((await create(idOnShard(1, SHARDS, 'during-outage'))).data.createUser.shardId).toBe(1);
    // Reads of the shard still succeed from its replica, and scatter-gather too.
    const seed2 = idOnShard(2, SHARDS, 'seed');
    expect((await post(`{ user(userId: "${seed2}") { userId } }`)).data.user).toEqual({ userId: seed2 });
    expect((await post('{ users(first: 50) { edges { node { userId } } } }')).data.users.edges.length).toBeGreaterThanOrEqual(3);
    // STRONG reads of that shard need its primary.
    expect((await post(`{ user(userId: "${seed2}", consistency: STRONG) { userId } }`)).errors![0].extensions).toEqual({
      code: 'SHARD_UNAVAILABLE',
      shardId: 2,
    });

    await eventually(async () => (await fetch(`http://127.0.0.1:${gateway.port}/readyz`)).status === 503, 5_000, '/readyz 503');
    const body = await (await fetch(`http://127.0.0.1:${gateway.port}/readyz`)).json();
    expect(body.status).toBe('unavailable');
    expect(body.unavailableShards.map((s: { shardId: number }) => s.shardId)).toEqual([2]);
    // Unreachable, it is still the shard's primary (no other node was promoted): writes wait for it, nobody is fenced.
    expect(body.fencedNodes).toBeUndefined();
    const roles = await post('{ shards { id nodes { role healthy } } }');
    expect(roles.data.shards.map((s: { nodes: { role: string; healthy: boolean }[] }) => s.nodes)).toEqual([
      [
        { role: 'PRIMARY', healthy: true },
        { role: 'REPLICA', healthy: true },
      ],
      [
        { role: 'PRIMARY', healthy: true },
        { role: 'REPLICA', healthy: true },
      ],
      [
        { role: 'PRIMARY', healthy: false },
        { role: 'REPLICA', healthy: true },
      ],
    ]);
    expect((await fetch(`http://127.0.0.1:${gateway.port}/healthz`)).status).toBe(200);

    await cluster.startNode(2, 'primary');
    await eventually(async () => (await fetch(`http://127.0.0.1:${gateway.port}/readyz`)).status === 200, 15_000, '/readyz 200');
    const after = await create(idOnShard(2, SHARDS, 'after-outage'));
    expect(after.errors).toBeUndefined();
    expect(after.data.createUser.shardId).toBe(2);
  });
});
