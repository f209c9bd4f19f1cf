import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadTopologyFile } from '../src/config/load-topology.js';
import { compareCodePoints } from '../src/graphql/pagination/compare-code-points.js';
import { seedDemoUsers } from '../src/cli/seed-demo-users.js';
import { createApp } from '../src/server/create-app.js';
import { openShards } from '../src/repository/open-shards.js';
import { fnv1a32 } from '../src/sharding/fnv1a32.js';
import { eventually, openGatewayFixture, testGatewayOptions, type GatewayFixture } from './support/gateway-fixture.js';
import { useSharedDatabase } from './support/use-shared-database.js';

let fx: GatewayFixture;
const USER_FIELDS = 'userId name email createdAt shardId';

beforeAll(async () => {
  const db = await useSharedDatabase('graphql');
  fx = await openGatewayFixture(db.topologyPath);
  await seedDemoUsers(fx.shards.users, 3, 400);
  // Replicas must have the seed before EVENTUAL reads are compared.
  await eventually(
    async () => {
      const r = await fx.gql('{ users(first: 0) { totalCount } }');
      return r.data?.users.totalCount === 400;
    },
    15_000,
    'seed on replicas',
  );
});
afterAll(async () => {
  await fx?.close();
});

async function createUser(userId: string, name = `Name ${userId}`, email = `${userId.replace(/[^a-z0-9]/gi, '')}@example.com`) {
  const r = await fx.gql(`mutation($i: CreateUserInput!) { createUser(input: $i) { ${USER_FIELDS} } }`, { i: { userId, name, email } });
  expect(r.errors).toBeUndefined();
  return r.data.createUser;
}

/** Every user, straight from each shard's primary, in the global order. */
async function allUsersSorted(direction: 'asc' | 'desc') {
  const all = [];
  for (const shard of fx.shards.manager.allShards()) {
    let after = null;
    for (;;) {
      const page = await fx.shards.users.pageOnShard(shard.id, { after, direction: 'asc', limit: 100 }, 'primary-only');
      all.push(...page);
      if (page.length < 100) break;
      after = page.at(-1)!;
    }
  }
  all.sort((a, b) => (a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? -1 : 1) : compareCodePoints(a.userId, b.userId)));
  return direction === 'asc' ? all : all.reverse();
}

describe('mutations', () => {
  it('createUser writes to the primary of fnv1a32(userId) % 3 and returns the user', async () => {
    fx.recorder.reset();
    const user = await createUser('alice', 'Alice', 'alice@example.com');
    expect(user).toMatchObject({ userId: 'alice', name: 'Alice', email: 'alice@example.com', shardId: 2 });
    expect(user.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // The email's claim on its lookup shard (fnv1a32("alice@example.com") % 3 = 2), then the user.
    expect(fx.recorder.of()).toMatchObject([
      { nodeId: fx.shards.manager.shard(2).primary.id, reason: 'write', statement: 'emails_claim' },
      { nodeId: fx.shards.manager.shard(2).primary.id, reason: 'write', statement: 'users_insert_claimed' },
    ]);
  });

  it('createUser of an existing userId is USER_ALREADY_EXISTS and changes nothing', async () => {
    await createUser('dupe', 'First', 'first@example.com');
    const r = await fx.gql('mutation { createUser(input: {userId: "dupe", name: "Second", email: "s@example.com"}) { userId } }');
    expect(r.errors?.[0]?.extensions).toEqual({ code: 'USER_ALREADY_EXISTS' });
    expect(r.data).toBeNull();
    const after = await fx.gql('{ user(userId: "dupe", consistency: STRONG) { name } }');
    expect(after.data.user.name).toBe('First');
  });

  it('updateUser changes only the given fields; unknown user is USER_NOT_FOUND', async () => {
    await createUser('upd', 'Before', 'before@example.com');
    const r = await fx.gql('mutation { updateUser(userId: "upd", input: {name: "After"}) { userId name email } }');
    expect(r.data.updateUser).toEqual({ userId: 'upd', name: 'After', email: 'before@example.com' });
    const missing = await fx.gql('mutation { updateUser(userId: "ghost", input: {name: "x"}) { userId } }');
    expect(missing.errors?.[0]?.extensions).toEqual({ code: 'USER_NOT_FOUND' });
  });

  it('deleteUser is true only if the user existed', async () => {
    await createUser('del');
    expect((await fx.gql('mutation { deleteUser(userId: "del") }')).data.deleteUser).toBe(true);
    expect((await fx.gql('mutation { deleteUser(userId: "del") }')).data.deleteUser).toBe(false);
    expect((await fx.gql('{ user(userId: "del", consistency: STRONG) { userId } }')).data.user).toBeNull();
  });

  it('STRONG reads see a write at once (read-after-write on the primary)', async () => {
    await createUser('raw');
    fx.recorder.reset();
    const r = await fx.gql('{ user(userId: "raw", consistency: STRONG) { userId shardId } }');
    expect(r.data.user).toEqual({ userId: 'raw', shardId: fnv1a32('raw') % 3 });
    expect(fx.recorder.of()).toMatchObject([{ role: 'primary', reason: 'strong-read' }]);
  });

  it('stores SQL-looking input verbatim', async () => {
    const nasty = { userId: "'; DROP TABLE users; --", name: "Robert'); DELETE FROM users WHERE ('1'='1", email: "o'hara--@ex.com" };
    const r = await fx.gql(`mutation($i: CreateUserInput!) { createUser(input: $i) { userId name email } }`, { i: nasty });
    expect(r.data.createUser).toEqual(nasty);
    const back = await fx.gql('query($id: ID!) { user(userId: $id, consistency: STRONG) { userId name email } }', { id: nasty.userId });
    expect(back.data.user).toEqual(nasty);
  });
});

describe('validation: BAD_USER_INPUT before any SQL', () => {
  const cases: [string, string, Record<string, unknown> | undefined, string][] = [
    ['empty userId', '{ user(userId: "") { userId } }', undefined, 'userId'],
    ['userId over 255', 'query($id: ID!) { user(userId: $id) { userId } }', { id: 'x'.repeat(256) }, 'userId'],
    ['control character in userId', 'query($id: ID!) { user(userId: $id) { userId } }', { id: 'a\u0007b' }, 'userId'],
    [
      'more than 500 ids',
      'query($ids: [ID!]!) { usersByIds(userIds: $ids) { userId } }',
      { ids: Array.from({ length: 501 }, (_, i) => `u${i}`) },
      'userIds',
    ],
    ['first below 0', '{ users(first: -1) { totalCount } }', undefined, 'first'],
    ['first above 100', '{ users(first: 101) { totalCount } }', undefined, 'first'],
    ['malformed cursor', '{ users(after: "not-a-cursor") { totalCount } }', undefined, 'after'],
    ['bad email', 'mutation { createUser(input: {userId: "v1", name: "n", email: "nope"}) { userId } }', undefined, 'input.email'],
    ['empty name', 'mutation { createUser(input: {userId: "v2", name: "", email: "a@b"}) { userId } }', undefined, 'input.name'],
    [
      'name over 255',
      'mutation($n: String!) { createUser(input: {userId: "v3", name: $n, email: "a@b"}) { userId } }',
      { n: 'n'.repeat(256) },
      'input.name',
    ],
    [
      'control character in created userId',
      'mutation($id: ID!) { createUser(input: {userId: $id, name: "n", email: "a@b"}) { userId } }',
      { id: 'tab\there' },
      'input.userId',
    ],
    ['bad email on update', 'mutation { updateUser(userId: "upd", input: {email: "x"}) { userId } }', undefined, 'input.email'],
    ['empty userId on delete', 'mutation { deleteUser(userId: "") }', undefined, 'userId'],
  ];

  it.each(cases)('%s', async (_name, query, variables, field) => {
    fx.recorder.reset();
    const r = await fx.gql(query, variables);
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(fx.recorder.of()).toEqual([]);
  });

  it('a cursor of the other order is refused', async () => {
    const page = await fx.gql('{ users(first: 1) { pageInfo { endCursor } } }');
    const r = await fx.gql('query($c: String) { users(first: 1, after: $c, orderBy: CREATED_AT_DESC) { totalCount } }', {
      c: page.data.users.pageInfo.endCursor,
    });
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('nothing was created by the refused mutations', async () => {
    const r = await fx.gql('{ usersByIds(userIds: ["v1", "v2", "v3"], consistency: STRONG) { userId } }');
    expect(r.data.usersByIds).toEqual([null, null, null]);
  });
});

describe('per-request, per-shard batching', () => {
  const ids = Array.from({ length: 100 }, (_, i) => `user-${i + 1}`);
  const query = (consistency: string) => `query($ids: [ID!]!) {
    a: user(userId: "user-101", consistency: ${consistency}) { userId }
    b: user(userId: "user-202", consistency: ${consistency}) { userId shardId }
    c: user(userId: "no-such-user", consistency: ${consistency}) { userId }
    many: usersByIds(userIds: $ids, consistency: ${consistency}) { userId shardId }
  }`;

  it('100 ids over 3 shards plus aliased user fields cost 3 statements, on replicas for EVENTUAL', async () => {
    fx.recorder.reset();
    const r = await fx.gql(query('EVENTUAL'), { ids: [...ids, 'missing-1'] });
    expect(r.errors).toBeUndefined();
    expect(r.data.a).toEqual({ userId: 'user-101' });
    expect(r.data.b).toEqual({ userId: 'user-202', shardId: fnv1a32('user-202') % 3 });
    expect(r.data.c).toBeNull();
    expect(r.data.many.map((u: { userId: string } | null) => u?.userId ?? null)).toEqual([...ids, null]);
    for (const u of r.data.many.slice(0, 100)) expect(u.shardId).toBe(fnv1a32(u.userId) % 3);
    const statements = fx.recorder.of();
    expect(statements).toHaveLength(3);
    expect(statements.every((s) => s.statement === 'users_select_many' && s.role === 'replica')).toBe(true);
    expect(new Set(statements.map((s) => s.shardId))).toEqual(new Set([0, 1, 2]));
    expect(statements.reduce((n, s) => n + s.batchSize!, 0)).toBe(104);
  });

  it('the same for STRONG, on primaries; EVENTUAL and STRONG in one request are loaded apart', async () => {
    fx.recorder.reset();
    const r = await fx.gql(query('STRONG'), { ids });
    expect(r.data.many).toHaveLength(100);
    expect(fx.recorder.of().map((s) => s.role)).toEqual(['primary', 'primary', 'primary']);
    fx.recorder.reset();
    await fx.gql('{ e: user(userId: "user-1") { userId } s: user(userId: "user-1", consistency: STRONG) { userId } }');
    expect(
      fx.recorder
        .of()
        .map((s) => s.role)
        .sort(),
    ).toEqual(['primary', 'replica']);
  });

  it('touches only the shards that hold the ids', async () => {
    const onShard0 = ids.filter((id) => fnv1a32(id) % 3 === 0).slice(0, 5);
    fx.recorder.reset();
    const r = await fx.gql('query($ids: [ID!]!) { usersByIds(userIds: $ids) { userId } }', { ids: [...onShard0, onShard0[0]] });
    expect(r.data.usersByIds.map((u: { userId: string }) => u.userId)).toEqual([...onShard0, onShard0[0]]);
    expect(fx.recorder.of()).toMatchObject([{ shardId: 0, batchSize: 5 }]);
  });

  it('loaders are per request: a second request reads again', async () => {
    fx.recorder.reset();
    await fx.gql('{ user(userId: "user-5") { userId } }');
    await fx.gql('{ user(userId: "user-5") { userId } }');
    expect(fx.recorder.of()).toHaveLength(2);
  });
});

describe('users: scatter-gather with keyset cursors', () => {
  const PAGE = `query($first: Int, $after: String, $order: UserOrder, $c: ReadConsistency) {
    users(first: $first, after: $after, orderBy: $order, consistency: $c) {
      edges { cursor node { userId createdAt shardId } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

  async function walk(order: 'CREATED_AT_ASC' | 'CREATED_AT_DESC', first: number) {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      fx.recorder.reset();
      const r: any = await fx.gql(PAGE, { first, after, order, c: 'STRONG' });
      expect(r.errors).toBeUndefined();
      // Every page, however deep: one statement per shard, all three shards.
      expect(
        fx.recorder
          .of()
          .map((s) => s.shardId)
          .sort(),
      ).toEqual([0, 1, 2]);
      seen.push(...r.data.users.edges.map((e: any) => e.node.userId));
      pages++;
      if (!r.data.users.pageInfo.hasNextPage) {
        expect(r.data.users.edges.length).toBeLessThanOrEqual(first);
        break;
      }
      expect(r.data.users.edges).toHaveLength(first);
      after = r.data.users.pageInfo.endCursor;
    }
    return { seen, pages };
  }

  it('ascending pages, walked to the end, equal the union of the shards sorted by (createdAt, userId)', async () => {
    const expected = (await allUsersSorted('asc')).map((u) => u.userId);
    const { seen, pages } = await walk('CREATED_AT_ASC', 37);
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 37) + (expected.length % 37 === 0 ? 1 : 0));
  });

  it('descending pages equal the same union reversed', async () => {
    const expected = (await allUsersSorted('desc')).map((u) => u.userId);
    const { seen } = await walk('CREATED_AT_DESC', 100);
    expect(seen).toEqual(expected);
  });

  it('uses no OFFSET: a deep page is the same statements as the first', async () => {
    const first = await fx.gql(PAGE, { first: 5 });
    fx.recorder.reset();
    await fx.gql(PAGE, { first: 5 });
    const firstPageStatements = fx.recorder.of().map((s) => s.statement);
    let after = first.data.users.pageInfo.endCursor;
    for (let i = 0; i < 20; i++) after = (await fx.gql(PAGE, { first: 5, after })).data.users.pageInfo.endCursor;
    fx.recorder.reset();
    await fx.gql(PAGE, { first: 5, after });
    expect(fx.recorder.of().map((s) => s.statement)).toEqual(firstPageStatements.map((n) => n.replace('first', 'after')));
  });

  it('never returns a user twice while others insert during paging', async () => {
    const seen = new Set<string>();
    let after: string | null = null;
    let n = 0;
    for (;;) {
      const inserting = Promise.all([0, 1, 2].map((k) => createUser(`concurrent-${n}-${k}`)));
      const r: any = await fx.gql(PAGE, { first: 25, after, c: 'STRONG' });
      await inserting;
      for (const e of r.data.users.edges) {
        expect(seen.has(e.node.userId)).toBe(false);
        seen.add(e.node.userId);
      }
      n++;
      if (!r.data.users.pageInfo.hasNextPage || n > 100) break;
      after = r.data.users.pageInfo.endCursor;
    }
    expect(seen.size).toBeGreaterThan(400);
  });

  it('first: 0 gives no edges; totalCount sums the shards, and is only computed when asked for', async () => {
    fx.recorder.reset();
    await fx.gql('{ users(first: 3) { edges { cursor } } }');
    expect(fx.recorder.of().some((s) => s.statement === 'users_count')).toBe(false);
    fx.recorder.reset();
    const r = await fx.gql('{ users(first: 0, consistency: STRONG) { edges { cursor } pageInfo { hasNextPage endCursor } totalCount } }');
    expect(r.data.users.edges).toEqual([]);
    expect(r.data.users.pageInfo).toEqual({ hasNextPage: true, endCursor: null });
    expect(r.data.users.totalCount).toBe((await allUsersSorted('asc')).length);
    expect(
      fx.recorder
        .of('users_count')
        .map((s) => s.shardId)
        .sort(),
    ).toEqual([0, 1, 2]);
  });
});

describe('shards', () => {
  it('shows each node with role, health and lag, and each shard user count', async () => {
    const r = await fx.gql('{ shards { id userCount nodes { address role healthy replicationLagSeconds } } }');
    expect(r.data.shards.map((s: any) => s.id)).toEqual([0, 1, 2]);
    const topology = fx.shards.manager.allShards();
    for (const shard of r.data.shards) {
      const primary = topology[shard.id]!.primary;
      expect(shard.nodes[0]).toEqual({ address: primary.address, role: 'PRIMARY', healthy: true, replicationLagSeconds: null });
      expect(shard.nodes[1]).toMatchObject({ role: 'REPLICA', healthy: true });
      expect(typeof shard.nodes[1].replicationLagSeconds).toBe('number');
      expect(shard.userCount).toBeGreaterThan(100);
    }
  });
});

describe('errors', () => {
  it('masks unexpected errors: no SQL, no stack, a request id that is also logged', async () => {
    // A database without the schema: the statement fails with SQLSTATE 42P01, which nothing maps.
    const db = await useSharedDatabase('unmigrated');
    const logged: any[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    const shards = openShards(loadTopologyFile(db.topologyPath), testGatewayOptions());
    const app = createApp({ shards, logger });
    try {
      const res = await app.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'req-123' },
        body: JSON.stringify({ query: '{ user(userId: "a", consistency: STRONG) { userId } }' }),
      });
      const body = await res.json();
      expect(body.errors).toEqual([
        {
          message: 'Unexpected error.',
          locations: [{ line: 1, column: 3 }],
          path: ['user'],
          extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-123' },
        },
      ]);
      expect(JSON.stringify(body)).not.toMatch(/SELECT|users|42P01|stack/i);
      expect(logged.some((l) => l.requestId === 'req-123' && /42P01/.test(JSON.stringify(l)))).toBe(true);
    } finally {
      await app.dispose();
      await shards.close();
    }
  });
});
