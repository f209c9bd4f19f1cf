import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireClusterSpec } from '../src/cluster/cluster-files.js';
import { nodeOf } from '../src/cluster/cluster-layout.js';
import { findPgBinaries } from '../src/cluster/find-pg-binaries.js';
import { runProgram } from '../src/cluster/run-program.js';
import type { Topology } from '../src/config/topology.js';
import { decodeToken } from '../src/sharding/consistency-token.js';
import { eventually, openGatewayFixture, testGatewayOptions, type GatewayFixture } from './support/gateway-fixture.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { idOnShard } from './support/id-on-shard.js';
import { withDirectSession } from '../testkit/pg-session.js';

/** Shards of this file's cluster. */
const SHARDS = 3;

// Replicas here apply WAL late on purpose (recovery_min_apply_delay), and one
// test promotes a replica: this file has a cluster of its own.
let cluster: ThrowawayCluster;
let topology: Topology;
/** Writes go through gateway A, reads through B: two gateway instances with nothing shared but the cluster. */
let a: GatewayFixture;
let b: GatewayFixture;
const opened: GatewayFixture[] = [];

const TOKEN = 'shardgate-consistency-token';
interface Answer {
  data: any;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
  token: string | null;
}

async function post(fx: GatewayFixture, query: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fx.app.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as Omit<Answer, 'token'>;
  const token = response.headers.get(TOKEN);
  // The header and the extension always carry the same token.
  expect(body.extensions?.consistencyToken ?? null).toBe(token);
  return { ...body, token };
}

const create = (userId: string, token?: string | null) =>
  post(a, `mutation { createUser(input: {userId: "${userId}", name: "N", email: "n@x.io"}) { userId } }`, token ? { [TOKEN]: token } : {});

const onNode = <T>(port: number, fn: (c: pg.Client) => Promise<T>): Promise<T> => withDirectSession({ port }, fn);

/** Every replica applies each commit only `delay` after it was made on its primary. */
async function setApplyDelay(delay: string): Promise<void> {
  for (const shard of topology.shards) {
    for (const replica of shard.replicas) {
      await onNode(replica.port, async (c) => {
        await c.query(`ALTER SYSTEM SET recovery_min_apply_delay = '${delay}'`);
        await c.query('SELECT pg_reload_conf()');
      });
      await eventually(
        () =>
          onNode(replica.port, async (c) => (await c.query('SHOW recovery_min_apply_delay')).rows[0].recovery_min_apply_delay === delay),
        5_000,
        'the apply delay to take effect',
      );
    }
  }
}

async function open(waitMs?: number): Promise<GatewayFixture> {
  const base = testGatewayOptions();
  const options = waitMs === undefined ? base : { ...base, request: { ...base.request, consistencyWaitMs: waitMs } };
  const fx = await openGatewayFixture(cluster.topologyPath, options, { tracer: null });
  opened.push(fx);
  return fx;
}

beforeAll(async () => {
  cluster = await startThrowawayCluster({ shards: SHARDS, replicas: 1 });
  topology = cluster.topology;
  a = await open();
  b = await open();
  // The schema must be on the replicas before the delay starts.
  await eventually(
    async () => (await post(b, '{ users(first: 1) { totalCount } }')).errors === undefined,
    15_000,
    'schema on the replicas',
  );
  await setApplyDelay('300ms');
});
afterAll(async () => {
  for (const fx of opened) await fx.close();
  await cluster?.destroy();
});

describe('read your writes across gateway instances (replicas 300 ms behind)', () => {
  it('a read with the token always sees the write; the same read without it misses', async () => {
    const trials = 200;
    let missesWithToken = 0;
    let missesWithout = 0;
    for (let i = 0; i < trials; i++) {
      const userId = `ryw-${i}`;
      const written = await create(userId);
      expect(written.errors).toBeUndefined();
      expect(written.token).not.toBeNull();
      const withToken = await post(b, `{ user(userId: "${userId}") { userId } }`, { [TOKEN]: written.token! });
      expect(withToken.errors).toBeUndefined();
      if (withToken.data.user?.userId !== userId) missesWithToken++;
      // A read that carried a token hands it back.
      expect(withToken.token).toBe(written.token);
      const without = await post(b, `{ user(userId: "${userId}") { userId } }`);
      if (without.data.user === null) missesWithout++;
      expect(without.token).toBeNull();
    }
    console.log(`read-your-writes over ${trials} trials: ${missesWithToken} misses with the token, ${missesWithout} without`);
    expect(missesWithToken).toBe(0);
    expect(missesWithout).toBeGreaterThan(trials / 2);
    const metrics = await (await b.app.fetch('http://gateway.test/metrics')).text();
    expect(metrics).toMatch(/shardgate_consistency_reads_total\{shard="\d",served_by="primary"\} \d+/);
  });

  it('once the replicas have caught up, token reads are served by replicas, not primaries', async () => {
    const userId = idOnShard(1, SHARDS, 'caught-up');
    const { token } = await create(userId);
    const wanted = decodeToken(token!, 3)[0]!;
    const replica = b.shards.manager.shard(1).replicas[0]!;
    // B's own health probes (every 200 ms here) see the replica pass the position.
    await eventually(() => (b.shards.db.positions.of(replica)?.lsn ?? 0n) >= wanted.lsn, 10_000, 'the replica to replay the write');
    for (let i = 0; i < 5; i++) {
      b.recorder.reset();
      const r = await post(b, `{ user(userId: "${userId}") { userId } }`, { [TOKEN]: token! });
      expect(r.data.user).toEqual({ userId });
      expect(b.recorder.of()).toMatchObject([{ nodeId: replica.id, role: 'replica', reason: 'token-replica' }]);
    }
  });

  it('a token merged over all shards: every write seen, one statement per shard', async () => {
    let token: string | null = null;
    const ids = [0, 1, 2].map((s) => idOnShard(s, SHARDS, 'merged'));
    for (const userId of ids) {
      const r = await create(userId, token);
      expect(r.errors).toBeUndefined();
      token = r.token;
    }
    expect(decodeToken(token!, 3).map((p) => p.shardId)).toEqual([0, 1, 2]);
    b.recorder.reset();
    const r = await post(b, `{ usersByIds(userIds: ${JSON.stringify(ids)}) { userId } }`, { [TOKEN]: token! });
    expect(r.data.usersByIds).toEqual(ids.map((userId) => ({ userId })));
    const statements = b.recorder.of();
    expect(statements.map((s) => s.shardId).sort()).toEqual([0, 1, 2]);
    expect(statements.every((s) => s.statement === 'users_select_one' && s.reason.startsWith('token-'))).toBe(true);
    expect(r.token).toBe(token);
  });

  it('refuses malformed and oversized tokens before sending any SQL', async () => {
    const { token } = await create('refused-0');
    const cases = [
      'not a token',
      `${token!}x`,
      'AQ',
      'A'.repeat(5_000),
      Buffer.from([2, ...Buffer.from(token!, 'base64url').subarray(1)]).toString('base64url'),
      // A well-formed entry for shard 7 of a 3-shard gateway.
      Buffer.from([1, 0, 7, ...Buffer.from(token!, 'base64url').subarray(3, 23)]).toString('base64url'),
    ];
    for (const bad of cases) {
      b.recorder.reset();
      const r = await post(b, '{ user(userId: "refused-0") { userId } }', { [TOKEN]: bad });
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: TOKEN });
      expect(r.data ?? null).toBeNull();
      expect(b.recorder.statements).toEqual([]);
    }
  });
});

describe('replicas 20 ms behind: how token reads are served', () => {
  it('at 0 ms and 50 ms waits, never a miss, and the wait lets replicas serve', async () => {
    await setApplyDelay('20ms');
    const shares: Record<string, Record<string, number>> = {};
    for (const waitMs of [0, 50]) {
      const reader = await open(waitMs);
      const served: Record<string, number> = { 'token-replica': 0, 'token-replica-after-wait': 0, 'token-primary': 0 };
      const trials = 100;
      for (let i = 0; i < trials; i++) {
        const userId = `lag20-${waitMs}-${i}`;
        const { token } = await create(userId);
        reader.recorder.reset();
        const r = await post(reader, `{ user(userId: "${userId}") { userId } }`, { [TOKEN]: token! });
        expect(r.data.user).toEqual({ userId });
        const ok = reader.recorder.of().filter((s) => s.outcome === 'ok');
        served[ok.at(-1)!.reason]!++;
      }
      shares[`${waitMs} ms`] = Object.fromEntries(Object.entries(served).map(([k, v]) => [k, v / trials]));
      if (waitMs === 50) expect(served['token-replica']! + served['token-replica-after-wait']!).toBeGreaterThan(0);
    }
    console.log('token reads right after the write, replicas 20 ms behind:', JSON.stringify(shares));
  });
});

describe('a token from before a failover', () => {
  it('reads the new primary, and the next token names the new timeline', async () => {
    const userId = idOnShard(0, SHARDS, 'before-failover');
    const { token } = await create(userId);
    const before = decodeToken(token!, 3)[0]!;
    const shard0 = topology.shards[0]!;
    const replica = shard0.replicas[0]!;
    // The write must be on the replica before it is promoted (asynchronous replication may otherwise lose it).
    await eventually(
      () =>
        onNode(
          replica.port,
          async (c) => (await c.query(`SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok`, [lsnText(before.lsn)])).rows[0].ok,
        ),
      10_000,
      'the replica to replay the write',
    );
    await cluster.stopNode(0, 'primary');
    const bins = await findPgBinaries();
    const dataDir = nodeOf(await requireClusterSpec(cluster.dir), 0, 'replica', 0).dataDir;
    await runProgram(bins.pgCtl, ['promote', '-w', '-D', dataDir], { cwd: cluster.dir, what: 'promoting shard 0 replica 0' });
    await eventually(
      () => onNode(replica.port, async (c) => (await c.query('SELECT pg_is_in_recovery() AS r')).rows[0].r === false),
      15_000,
      'promotion',
    );

    // A gateway that knows the new layout (a restart after the operator's change).
    const moved: Topology = { shards: topology.shards.map((s) => (s.shardId === 0 ? { ...s, primary: replica, replicas: [] } : s)) };
    const path = join(cluster.dir, 'after-failover.json');
    await writeFile(path, JSON.stringify(moved));
    const base = testGatewayOptions();
    const c = await openGatewayFixture(path, base, { tracer: null });
    opened.push(c);
    c.recorder.reset();
    const read = await post(c, `{ user(userId: "${userId}") { userId } }`, { [TOKEN]: token! });
    expect(read.data.user).toEqual({ userId });
    expect(c.recorder.of()).toMatchObject([{ nodeId: c.shards.manager.shard(0).primary.id, reason: 'token-primary' }]);
    const written = await post(
      c,
      `mutation { createUser(input: {userId: "${idOnShard(0, SHARDS, 'after-failover')}", name: "N", email: "n@x.io"}) { userId } }`,
      { [TOKEN]: token! },
    );
    const after = decodeToken(written.token!, 3)[0]!;
    expect(after.systemId).toBe(before.systemId);
    expect(after.timeline).toBe(before.timeline + 1);
  });
});

function lsnText(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
