import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoUsers } from '../src/cli/seed-demo-users.js';
import { shardIdFor } from '../src/sharding/shard-id-for.js';
import { eventually, openGatewayFixture, testGatewayOptions, type GatewayFixture } from './support/gateway-fixture.js';
import { parsePrometheusText, select, total, type Exposition } from './support/prometheus-text.js';
import { useSharedDatabase } from './support/use-shared-database.js';
import { idOnShard } from './support/id-on-shard.js';

/** Shards of the shared test cluster (test/global-setup.ts). */
const SHARDS = 3;

let fx: GatewayFixture;
const SEEDED = 150;
/** The clock of the user-count cache. */
let now = 0;

async function scrape(): Promise<{ text: string; exposition: Exposition; contentType: string | null }> {
  const response = await fx.app.fetch('http://gateway.test/metrics');
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, exposition: parsePrometheusText(text), contentType: response.headers.get('content-type') };
}

beforeAll(async () => {
  const db = await useSharedDatabase('metrics');
  fx = await openGatewayFixture(db.topologyPath, testGatewayOptions({ timeoutMs: 2000, failuresToEject: 3 }), {
    userCountMaxAgeMs: 60_000,
    clock: () => now,
  });
  await seedDemoUsers(fx.shards.users, 3, SEEDED);
  await eventually(
    async () => (await fx.gql('{ users(first: 0) { totalCount } }')).data?.users.totalCount === SEEDED,
    15_000,
    'seed on replicas',
  );
});
afterAll(async () => {
  await fx?.close();
});

describe('/metrics', () => {
  it('counts a known workload by shard, role, operation and outcome', async () => {
    const before = await scrape();
    expect(before.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');

    // 3 point reads, one per shard: 3 replica SELECTs.
    for (const shardId of [0, 1, 2]) {
      const r = await fx.gql('query($id: ID!) { user(userId: $id) { userId } }', { id: idOnShard(shardId, SHARDS, 'user') });
      expect(r.errors).toBeUndefined();
    }
    // One batch over the 3 shards: 3 replica SELECTs.
    const ids = Array.from({ length: 12 }, (_, i) => `user-${i + 1}`);
    expect(new Set(ids.map((id) => shardIdFor(id, SHARDS))).size).toBe(SHARDS);
    await fx.gql('query($ids: [ID!]!) { usersByIds(userIds: $ids) { userId } }', { ids });
    // A page with its count: 2 scatters, 6 replica SELECTs, 2 cross-shard queries.
    await fx.gql('{ users(first: 3) { totalCount edges { node { userId } } } }');
    // A STRONG read: 1 primary SELECT on shard 2.
    await fx.gql(`{ user(userId: "${idOnShard(2, SHARDS, 'user')}", consistency: STRONG) { userId } }`);
    // A created user, then the same again: 2 INSERTs on shard 1's primary, one refused, after 2 email claims on shard 2.
    const newId = idOnShard(1, SHARDS, 'metrics-new');
    const create = `mutation { createUser(input: {userId: "${newId}", name: "M", email: "m@example.com"}) { userId } }`;
    expect((await fx.gql(create)).errors).toBeUndefined();
    expect((await fx.gql(create)).errors?.[0]?.extensions?.code).toBe('USER_ALREADY_EXISTS');
    // Refused before execution: no statement.
    expect((await fx.gql('{ user(userId: "x") { userId }')).errors).toHaveLength(1);

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      total(after.exposition, name, labels) - total(before.exposition, name, labels);

    const queries = 'shardgate_shard_queries_total';
    const expected: [string, string, string, string, number][] = [
      ['0', 'replica', 'SELECT', 'ok', 1 + 1 + 2],
      ['1', 'replica', 'SELECT', 'ok', 1 + 1 + 2],
      ['2', 'replica', 'SELECT', 'ok', 1 + 1 + 2],
      ['2', 'primary', 'SELECT', 'ok', 1],
      ['1', 'primary', 'INSERT', 'ok', 1],
      ['1', 'primary', 'INSERT', 'error', 1],
      // Each createUser claims the email first, on its lookup shard (fnv1a32("m@example.com") % 3 = 2).
      ['2', 'primary', 'INSERT', 'ok', 2],
    ];
    for (const [shard, role, operation, outcome, n] of expected) {
      expect(delta(queries, { shard, role, operation, outcome }), `${shard}/${role} ${operation} ${outcome}`).toBe(n);
    }
    expect(delta(queries)).toBe(expected.reduce((sum, e) => sum + e[4], 0));

    // Each statement is timed once, by shard and role; the buckets are cumulative up to +Inf.
    for (const [shard, role] of [
      ['0', 'replica'],
      ['1', 'replica'],
      ['2', 'replica'],
      ['1', 'primary'],
      ['2', 'primary'],
      ['0', 'primary'],
    ]) {
      expect(delta('shardgate_shard_query_duration_seconds_count', { shard: shard!, role: role! })).toBe(
        delta(queries, { shard: shard!, role: role! }),
      );
      const buckets = select(after.exposition, 'shardgate_shard_query_duration_seconds_bucket', { shard: shard!, role: role! });
      const counts = buckets.map((b) => b.value);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
      expect(buckets.find((b) => b.labels.le === '+Inf')?.value).toBe(
        total(after.exposition, 'shardgate_shard_query_duration_seconds_count', { shard: shard!, role: role! }),
      );
    }
    expect(after.exposition.types.get('shardgate_shard_query_duration_seconds')).toBe('histogram');

    expect(delta('shardgate_cross_shard_queries_total')).toBe(2);
    expect(delta('shardgate_graphql_requests_total', { operation_type: 'query', outcome: 'ok' })).toBe(6);
    expect(delta('shardgate_graphql_requests_total', { operation_type: 'mutation', outcome: 'ok' })).toBe(1);
    expect(delta('shardgate_graphql_requests_total', { operation_type: 'mutation', outcome: 'error' })).toBe(1);
    expect(delta('shardgate_graphql_requests_total', { operation_type: 'unknown', outcome: 'invalid' })).toBe(1);
    expect(delta('shardgate_graphql_request_duration_seconds_count')).toBe(9);
    expect(after.exposition.types.get('shardgate_graphql_request_duration_seconds')).toBe('histogram');

    // No user id or query text in any label.
    expect(after.text).not.toContain(newId);
    expect(after.text).not.toMatch(/user-\d/);
    expect(after.text).not.toContain('FROM users');
  });

  it('reports each node, replica lag, pools, and the users per shard', async () => {
    const { exposition } = await scrape();
    const nodes = fx.shards.manager.allNodes();
    expect(select(exposition, 'shardgate_node_up').map((s) => s.labels)).toEqual(
      nodes.map((n) => ({ shard: String(n.shardId), role: n.configuredRole, address: n.address })),
    );
    expect(select(exposition, 'shardgate_node_up').every((s) => s.value === 1)).toBe(true);
    const replicas = nodes.filter((n) => n.configuredRole === 'replica');
    const lag = select(exposition, 'shardgate_replication_lag_seconds');
    expect(lag.map((s) => s.labels)).toEqual(replicas.map((n) => ({ shard: String(n.shardId), address: n.address })));
    expect(lag.every((s) => s.value >= 0)).toBe(true);

    for (const shard of ['0', '1', '2']) {
      for (const role of ['primary', 'replica']) {
        const states = select(exposition, 'shardgate_pool_connections', { shard, role });
        expect(states.map((s) => s.labels.state).sort()).toEqual(['active', 'idle', 'waiting']);
        expect(states.every((s) => Number.isInteger(s.value) && s.value >= 0)).toBe(true);
      }
    }
    // Replica pools have served reads, so they hold connections.
    expect(total(exposition, 'shardgate_pool_connections', { role: 'replica' })).toBeGreaterThan(0);

    const users = select(exposition, 'shardgate_shard_users');
    expect(users.map((s) => s.labels.shard)).toEqual(['0', '1', '2']);
    expect(users.reduce((sum, s) => sum + s.value, 0)).toBe(SEEDED);
    expect(users.every((s) => s.value > 0)).toBe(true);
  });

  it('counting users costs one statement per shard per refresh, however often it is scraped', async () => {
    fx.recorder.reset();
    now += 59_000;
    await Promise.all([scrape(), scrape(), scrape()]);
    expect(fx.recorder.statements).toEqual([]);
    now += 1_000;
    await Promise.all([scrape(), scrape(), scrape()]);
    expect(fx.recorder.statements.map((s) => [s.statement, s.shardId, s.role])).toEqual([
      ['users_count', 0, 'replica'],
      ['users_count', 1, 'replica'],
      ['users_count', 2, 'replica'],
    ]);
  });
});
