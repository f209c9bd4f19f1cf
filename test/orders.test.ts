import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderRows } from './support/order-rows.js';
import { demoUser, seedDemoUsers } from '../src/cli/seed-demo-users.js';
import { decodeOrderId, encodeOrderId, newStoredOrderId } from '../src/modules/orders/order-id.js';
import { fnv1a32 } from '../src/sharding/fnv1a32.js';
import { eventually, openGatewayFixture, type GatewayFixture } from './support/gateway-fixture.js';
import { useSharedDatabase } from './support/use-shared-database.js';

const USERS = 240;
const ORDER_FIELDS = 'id userId status totalCents currency createdAt shardId';

let fx: GatewayFixture;
let topologyPath: string;

beforeAll(async () => {
  const db = await useSharedDatabase('orders');
  topologyPath = db.topologyPath;
  fx = await openGatewayFixture(db.topologyPath);
  await seedDemoUsers(fx.shards.users, 3, USERS);
  // Users 1..USERS get i % 4 orders each, statuses cycling, so that pages and filters have something to do.
  const statuses = ['PENDING', 'PAID', 'SHIPPED', 'CANCELLED'] as const;
  const byShard = new Map<number, { userId: string; totalCents: number; currency: string; status: (typeof statuses)[number] }[]>();
  for (let i = 1; i <= USERS; i++) {
    const userId = demoUser(i).userId;
    for (let k = 0; k < i % 4; k++) {
      const shardId = orderRows(fx.shards).shardIdOf(userId);
      const list = byShard.get(shardId) ?? [];
      list.push({ userId, totalCents: 100 * i + k, currency: 'EUR', status: statuses[(i + k) % 4]! });
      byShard.set(shardId, list);
    }
  }
  for (const [shardId, list] of byShard) await orderRows(fx.shards).insertManyOnShard(shardId, list);
  const expected = [...byShard.values()].reduce((n, l) => n + l.length, 0);
  await eventually(
    async () => (await fx.gql('{ orders(first: 0) { totalCount } }')).data?.orders.totalCount === expected,
    15_000,
    'seeded orders on replicas',
  );
});

afterAll(async () => {
  await fx?.close();
});

async function createOrder(userId: string, totalCents = 1234, currency = 'EUR', headers?: Record<string, string>) {
  return fx.gql(
    `mutation($i: CreateOrderInput!) { createOrder(input: $i) { ${ORDER_FIELDS} } }`,
    { i: { userId, totalCents, currency } },
    headers,
  );
}

/** Distinct demo users, the i-th on shard `shards[i]`. */
function usersOn(shards: number[]): string[] {
  const taken = new Set<string>();
  return shards.map((shardId) => {
    for (let i = 1; i <= USERS; i++) {
      const userId = demoUser(i).userId;
      if (!taken.has(userId) && fnv1a32(userId) % 3 === shardId) {
        taken.add(userId);
        return userId;
      }
    }
    throw new Error(`no demo user on shard ${shardId}`);
  });
}

async function createUser(userId: string) {
  const r = await fx.gql('mutation($i: CreateUserInput!) { createUser(input: $i) { userId } }', {
    i: { userId, name: `N ${userId}`, email: `${userId.replace(/[^a-z0-9]/gi, '')}@example.com` },
  });
  expect(r.errors).toBeUndefined();
}

/** Orders whose owner is gone, on every primary (must always be 0). */
async function orphans(): Promise<number> {
  let n = 0;
  for (const shard of fx.shards.manager.allShards()) {
    // Through the door as a test would: the repository has no such query, so count users' orders against users.
    const { rows } = await fx.shards.db.read<{ n: string }>(
      shard.id,
      'primary-only',
      {
        name: 'test_orphans',
        text: 'SELECT count(*)::int8 AS n FROM orders o WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = o.user_id)',
        reportedText: 'orphans',
        operation: 'SELECT',
        prepare: false,
      },
      [],
    );
    n += Number(rows[0]!.n);
  }
  return n;
}

describe('createOrder and routing', () => {
  it("writes one statement to the owner's primary, status PENDING, an id that carries the owner, and a consistency token", async () => {
    fx.recorder.reset();
    const r = await createOrder('user-42', 4999, 'USD');
    expect(r.errors).toBeUndefined();
    const order = r.data.createOrder;
    expect(order).toMatchObject({
      userId: 'user-42',
      status: 'PENDING',
      totalCents: 4999,
      currency: 'USD',
      shardId: fnv1a32('user-42') % 3,
    });
    expect(decodeOrderId(order.id)?.userId).toBe('user-42');
    expect(fx.recorder.of().map((s) => [s.statement, s.shardId, s.role])).toEqual([['mod_orders_insert', order.shardId, 'primary']]);
  });

  it('returns the token in extensions and header', async () => {
    const response = await fx.app.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { createOrder(input: { userId: "user-7", totalCents: 1, currency: "EUR" }) { id } }' }),
    });
    const body = (await response.json()) as { extensions?: { consistencyToken?: string } };
    expect(body.extensions?.consistencyToken).toBeTruthy();
    expect(response.headers.get('shardgate-consistency-token')).toBe(body.extensions?.consistencyToken);
  });

  it('for a user that does not exist: USER_NOT_FOUND from the foreign key, nothing written', async () => {
    fx.recorder.reset();
    const r = await createOrder('no-such-user-ever');
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'USER_NOT_FOUND' });
    expect(r.data).toBeNull();
    // One statement: the insert that the foreign key refused (no read first).
    expect(fx.recorder.of().map((s) => s.statement)).toEqual(['mod_orders_insert']);
    expect(await orphans()).toBe(0);
  });

  it('order(id) reads one shard, one statement; ordersByIds one per shard touched, in order, null where missing', async () => {
    const made = [];
    for (const userId of usersOn([0, 0, 1, 1, 2])) made.push((await createOrder(userId)).data.createOrder);
    expect(new Set(made.map((o) => o.shardId)).size).toBe(3);
    const ghost = encodeOrderId({ userId: 'user-1', orderId: newStoredOrderId() });
    fx.recorder.reset();
    const one = await fx.gql(`query($id: ID!) { order(id: $id, consistency: STRONG) { ${ORDER_FIELDS} } }`, { id: made[0].id });
    expect(one.data.order).toEqual(made[0]);
    expect(fx.recorder.of().map((s) => [s.statement, s.shardId])).toEqual([['mod_orders_select_many', made[0].shardId]]);
    fx.recorder.reset();
    const ids = [made[4].id, ghost, made[0].id, made[1].id, made[2].id, made[3].id];
    const many = await fx.gql(`query($ids: [ID!]!) { ordersByIds(ids: $ids, consistency: STRONG) { id } }`, { ids });
    expect(many.errors).toBeUndefined();
    expect(many.data.ordersByIds.map((o: { id: string } | null) => o?.id ?? null)).toEqual([
      made[4].id,
      null,
      made[0].id,
      made[1].id,
      made[2].id,
      made[3].id,
    ]);
    const sent = fx.recorder.of();
    expect(sent.every((s) => s.statement === 'mod_orders_select_many')).toBe(true);
    expect(sent.map((s) => s.shardId).sort()).toEqual([0, 1, 2]);
  });
});

describe('bad input: BAD_USER_INPUT naming the argument, no SQL', () => {
  const cases: [string, string, Record<string, unknown>, string][] = [];
  const good = () => encodeOrderId({ userId: 'user-1', orderId: newStoredOrderId() });
  const id = good();
  const flipped = id.slice(0, 10) + (id[10] === 'A' ? 'B' : 'A') + id.slice(11);
  for (const bad of ['', 'order-1', id.slice(0, -2), flipped, `${id}A`, 'A'.repeat(2000)]) {
    cases.push([`order(id: ${JSON.stringify(bad.slice(0, 20))})`, 'query($id: ID!) { order(id: $id) { id } }', { id: bad }, 'id']);
    cases.push(['updateOrderStatus', 'mutation($id: ID!) { updateOrderStatus(id: $id, status: PAID) { id } }', { id: bad }, 'id']);
  }
  cases.push(['ordersByIds garbled', 'query($ids: [ID!]!) { ordersByIds(ids: $ids) { id } }', { ids: [id, 'nope'] }, 'ids']);
  cases.push(['ordersByIds 501', 'query($ids: [ID!]!) { ordersByIds(ids: $ids) { id } }', { ids: Array(501).fill(id) }, 'ids']);
  const create = 'mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }';
  for (const currency of ['eur', 'EURO', 'EU', '', 'E1R', 'ÉUR'])
    cases.push([`currency ${currency}`, create, { i: { userId: 'user-1', totalCents: 1, currency } }, 'input.currency']);
  cases.push(['negative total', create, { i: { userId: 'user-1', totalCents: -1, currency: 'EUR' } }, 'input.totalCents']);
  cases.push(['empty userId', create, { i: { userId: '', totalCents: 1, currency: 'EUR' } }, 'input.userId']);
  cases.push(['control character userId', create, { i: { userId: 'a\u0001', totalCents: 1, currency: 'EUR' } }, 'input.userId']);
  for (const first of [-1, 101]) {
    cases.push([`orders first ${first}`, 'query($f: Int) { orders(first: $f) { totalCount } }', { f: first }, 'first']);
    cases.push([
      `User.orders first ${first}`,
      'query($f: Int) { user(userId: "user-1") { orders(first: $f) { totalCount } } }',
      { f: first },
      'first',
    ]);
  }
  cases.push(['orders after garbage', '{ orders(after: "xyz") { totalCount } }', {}, 'after']);
  cases.push(['User.orders after garbage', '{ user(userId: "user-1") { orders(after: "xyz") { totalCount } } }', {}, 'after']);

  it.each(cases)('%s', async (_name, query, variables, field) => {
    fx.recorder.reset();
    const r = await fx.gql(query, variables);
    expect(r.errors?.[0]?.extensions, JSON.stringify(r.errors)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    // User.orders runs after its user was read: only orders statements matter here.
    expect(fx.recorder.of().filter((s) => s.statement.startsWith('orders'))).toEqual([]);
  });

  it('a totalCents beyond Int is refused by GraphQL itself', async () => {
    const r = await fx.gql(create, { i: { userId: 'user-1', totalCents: 2 ** 31, currency: 'EUR' } });
    expect(r.errors?.[0]?.message).toMatch(/Int/);
  });

  it('cursors are accepted only by a page of the same orderBy and status', async () => {
    const page = await fx.gql('{ orders(first: 2, status: PAID, orderBy: CREATED_AT_ASC) { pageInfo { endCursor } } }');
    const cursor = page.data.orders.pageInfo.endCursor;
    expect(cursor).toBeTruthy();
    for (const args of ['orderBy: CREATED_AT_DESC, status: PAID', 'orderBy: CREATED_AT_ASC', 'orderBy: CREATED_AT_ASC, status: SHIPPED']) {
      const r = await fx.gql(`query($c: String) { orders(first: 2, after: $c, ${args}) { totalCount } }`, { c: cursor });
      expect(r.errors?.[0]?.extensions, args).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    }
    const ok = await fx.gql('query($c: String) { orders(first: 2, after: $c, status: PAID, orderBy: CREATED_AT_ASC) { totalCount } }', {
      c: cursor,
    });
    expect(ok.errors).toBeUndefined();
  });
});

describe('status transitions', () => {
  const update = 'mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { id status } }';

  it('follow PENDING → PAID → SHIPPED; anything else is INVALID_STATUS_TRANSITION and changes nothing', async () => {
    const { id } = (await createOrder('user-11')).data.createOrder;
    const step = async (s: string) => await fx.gql(update, { id, s });
    expect((await step('SHIPPED')).errors?.[0]?.extensions?.code).toBe('INVALID_STATUS_TRANSITION');
    expect((await step('PENDING')).errors?.[0]?.extensions?.code).toBe('INVALID_STATUS_TRANSITION');
    expect((await step('PAID')).data.updateOrderStatus.status).toBe('PAID');
    expect((await step('PAID')).errors?.[0]?.extensions?.code).toBe('INVALID_STATUS_TRANSITION');
    expect((await step('SHIPPED')).data.updateOrderStatus.status).toBe('SHIPPED');
    expect((await step('CANCELLED')).errors?.[0]?.extensions?.code).toBe('INVALID_STATUS_TRANSITION');
    const read = await fx.gql('query($id: ID!) { order(id: $id, consistency: STRONG) { status } }', { id });
    expect(read.data.order.status).toBe('SHIPPED');
    const paid = (await createOrder('user-11')).data.createOrder.id;
    expect((await fx.gql(update, { id: paid, s: 'PAID' })).errors).toBeUndefined();
    expect((await fx.gql(update, { id: paid, s: 'CANCELLED' })).data.updateOrderStatus.status).toBe('CANCELLED');
  });

  it('an id that does not exist: ORDER_NOT_FOUND, one statement', async () => {
    fx.recorder.reset();
    const r = await fx.gql(update, { id: encodeOrderId({ userId: 'user-11', orderId: newStoredOrderId() }), s: 'PAID' });
    expect(r.errors?.[0]?.extensions?.code).toBe('ORDER_NOT_FOUND');
    expect(fx.recorder.of().map((s) => s.statement)).toEqual(['mod_orders_transition']);
  });

  it('10 concurrent PENDING → PAID on one order: exactly one applies, nine are INVALID_STATUS_TRANSITION', async () => {
    for (let round = 0; round < 3; round++) {
      const { id } = (await createOrder('user-12')).data.createOrder;
      const results = await Promise.all(Array.from({ length: 10 }, () => fx.gql(update, { id, s: 'PAID' })));
      const applied = results.filter((r) => !r.errors && r.data.updateOrderStatus.status === 'PAID');
      const refused = results.filter((r) => r.errors?.[0]?.extensions?.code === 'INVALID_STATUS_TRANSITION');
      expect([applied.length, refused.length]).toEqual([1, 9]);
    }
  });
});

describe("deleteUser takes the user's orders with it", () => {
  it('cascades in the same statement', async () => {
    await createUser('orders-del-1');
    const { id } = (await createOrder('orders-del-1')).data.createOrder;
    expect((await fx.gql('mutation { deleteUser(userId: "orders-del-1") }')).data.deleteUser).toBe(true);
    const r = await fx.gql('query($id: ID!) { order(id: $id, consistency: STRONG) { id } }', { id });
    expect(r.data.order).toBeNull();
  });

  it('racing createOrder never leaves an order without its user', async () => {
    for (let round = 0; round < 15; round++) {
      const userId = `orders-race-${round}`;
      await createUser(userId);
      const results = await Promise.all([
        createOrder(userId),
        createOrder(userId),
        fx.gql('mutation($u: ID!) { deleteUser(userId: $u) }', { u: userId }),
        createOrder(userId),
      ]);
      for (const r of [results[0], results[1], results[3]]) {
        // Either it committed before the delete (and went with it), or the foreign key refused it.
        if (r!.errors) expect(r!.errors[0]!.extensions?.code).toBe('USER_NOT_FOUND');
      }
    }
    expect(await orphans()).toBe(0);
  });
});

describe('nested batching: one statement per shard whatever the number of users', () => {
  const NESTED = `query($ids: [ID!]!) {
    usersByIds(userIds: $ids, consistency: STRONG) {
      userId orderCount
      orders(first: 5, status: PAID) { totalCount edges { node { id status userId user { name } } } }
    }
  }`;

  /**
   * Statement names and shards a request sent, sorted. The users lookup is named after its batch's size
   * (one id, a few, many: each keeps its own cached plan), so it counts here as one statement name.
   */
  const sent = () =>
    fx.recorder
      .of()
      .map((s) => `${s.statement.replace(/^users_select_(one|few_\d+|many)$/, 'users_select')}@${s.shardId}`)
      .sort();

  it('6 users and 200 users send the same statements: users, orders, and two counts, once per shard', async () => {
    const few = usersOn([0, 0, 1, 1, 2, 2]);
    const many = Array.from({ length: 200 }, (_, i) => demoUser(i + 1).userId);
    fx.recorder.reset();
    const a = await fx.gql(NESTED, { ids: few });
    expect(a.errors).toBeUndefined();
    const forFew = sent();
    fx.recorder.reset();
    const b = await fx.gql(NESTED, { ids: many });
    expect(b.errors).toBeUndefined();
    const forMany = sent();
    expect(forMany).toEqual(forFew);
    expect(forMany).toEqual(
      ['users_select', 'mod_orders_of_users_desc_status_first_6', 'mod_orders_count_of_users_status', 'mod_orders_count_of_users_any']
        .flatMap((name) => [0, 1, 2].map((shard) => `${name}@${shard}`))
        .sort(),
    );
    // Right answers: each user's own PAID orders, newest first, at most 5, and the counts.
    for (const user of b.data.usersByIds) {
      const truth = await orderRows(fx.shards).slicesOfUsersOnShard(
        orderRows(fx.shards).shardIdOf(user.userId),
        [user.userId],
        { direction: 'desc', status: 'PAID', after: null, limit: 100 },
        'primary-only',
      );
      const paid = truth.get(user.userId) ?? [];
      expect(user.orders.totalCount).toBe(paid.length);
      expect(user.orders.edges.map((e: any) => e.node.id)).toEqual(paid.slice(0, 5).map((o) => encodeOrderId(o)));
      for (const edge of user.orders.edges) expect(edge.node).toMatchObject({ status: 'PAID', userId: user.userId });
      const all = await orderRows(fx.shards).countsOfUsersOnShard(
        orderRows(fx.shards).shardIdOf(user.userId),
        [user.userId],
        null,
        'primary-only',
      );
      expect(user.orderCount).toBe(all.get(user.userId));
    }
  });

  it('users reached by user, usersByIds, a users page and _entities in one request share one orders statement per shard', async () => {
    const query = `query($ids: [ID!]!, $reps: [_Any!]!) {
      a: user(userId: "user-1") { orders(first: 3) { edges { cursor } } }
      b: usersByIds(userIds: $ids) { orders(first: 3) { edges { cursor } } }
      c: users(first: 30) { edges { node { orders(first: 3) { edges { cursor } } } } }
      d: _entities(representations: $reps) { ... on User { orders(first: 3) { edges { cursor } } } }
    }`;
    fx.recorder.reset();
    const r = await fx.gql(query, {
      ids: Array.from({ length: 40 }, (_, i) => demoUser(i + 50).userId),
      reps: Array.from({ length: 20 }, (_, i) => ({ __typename: 'User', userId: demoUser(i + 120).userId })),
    });
    expect(r.errors).toBeUndefined();
    const orders = fx.recorder.of().filter((s) => s.statement.startsWith('mod_orders_'));
    expect(orders.map((s) => s.statement)).toEqual(Array(3).fill('mod_orders_of_users_desc_any_first_4'));
    expect(orders.map((s) => s.shardId).sort()).toEqual([0, 1, 2]);
  });

  it('Order.user of a user the request already loaded costs nothing; of others, one users batch', async () => {
    fx.recorder.reset();
    const r = await fx.gql('{ orders(first: 50) { edges { node { user { userId } } } } }');
    expect(r.errors).toBeUndefined();
    const users = fx.recorder.of('users_select_many');
    expect(users.length).toBeLessThanOrEqual(3);
    expect(new Set(users.map((s) => s.shardId)).size).toBe(users.length);
  });
});

describe('orders pages across shards', () => {
  /** Every order, straight from each shard's primary, in the page order. */
  async function truth(direction: 'asc' | 'desc', status: 'PAID' | null) {
    const all = [];
    for (const shard of fx.shards.manager.allShards()) {
      let after = null;
      for (;;) {
        const page = await orderRows(fx.shards).pageOnShard(shard.id, { direction, status, after, limit: 1000 }, 'primary-only');
        all.push(...page);
        if (page.length < 1000) break;
        after = page.at(-1)!;
      }
    }
    const { compareOrders } = await import('../src/modules/orders/order.js');
    return all.sort(compareOrders(direction)).map((o) => encodeOrderId(o));
  }

  async function walk(orderBy: string, status: string | null, first: number, during?: () => Promise<void>) {
    const ids: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 500; i++) {
      const r: any = await fx.gql(
        `query($after: String, $status: OrderStatus) { orders(first: ${first}, after: $after, status: $status, orderBy: ${orderBy}, consistency: STRONG) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
        { after, status },
      );
      expect(r.errors).toBeUndefined();
      ids.push(...r.data.orders.edges.map((e: any) => e.node.id));
      if (!r.data.orders.pageInfo.hasNextPage) return ids;
      if (during) await during();
      after = r.data.orders.pageInfo.endCursor;
    }
    throw new Error('too many pages');
  }

  it('walks every order once, in both orders, with and without a status filter', async () => {
    for (const [orderBy, direction] of [
      ['CREATED_AT_DESC', 'desc'],
      ['CREATED_AT_ASC', 'asc'],
    ] as const) {
      expect(await walk(orderBy, null, 37)).toEqual(await truth(direction, null));
      expect(await walk(orderBy, 'PAID', 11)).toEqual(await truth(direction, 'PAID'));
    }
  });

  it('is stable under concurrent inserts: nothing that existed is skipped or repeated', async () => {
    const before = await truth('asc', null);
    let n = 0;
    const ids = await walk('CREATED_AT_ASC', null, 40, async () => {
      await createOrder(demoUser((n++ % 50) + 1).userId);
    });
    expect(new Set(ids).size).toBe(ids.length);
    const seen = new Set(ids);
    expect(before.filter((id) => !seen.has(id))).toEqual([]);
    // Ascending, the orders created during the walk come after the cursor: the walk sees them too.
    expect(ids.length).toBe(before.length + n);
  });

  it('totalCount is only computed when asked for', async () => {
    fx.recorder.reset();
    await fx.gql('{ orders(first: 3) { edges { cursor } } }');
    expect(fx.recorder.of().map((s) => s.statement.replace(/_\d+$/, ''))).toEqual(Array(3).fill('mod_orders_page_desc_any_first'));
    fx.recorder.reset();
    await fx.gql('{ orders(first: 3, status: PAID) { totalCount } }');
    expect(fx.recorder.of().filter((s) => s.statement === 'mod_orders_count_status')).toHaveLength(3);
  });
});

describe('consistency tokens, limits and federation', () => {
  it("an order write's token makes another gateway instance read it", async () => {
    const other = await openGatewayFixture(topologyPath);
    try {
      for (let i = 0; i < 5; i++) {
        const response = await fx.app.fetch('http://gateway.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'mutation { createOrder(input: { userId: "user-9", totalCents: 7, currency: "EUR" }) { id } }' }),
        });
        const token = response.headers.get('shardgate-consistency-token');
        const { data } = (await response.json()) as { data: { createOrder: { id: string } } };
        expect(token).toBeTruthy();
        const read = await other.gql(
          'query($id: ID!) { order(id: $id) { id status } }',
          { id: data.createOrder.id },
          {
            'shardgate-consistency-token': token!,
          },
        );
        expect(read.data.order).toEqual({ id: data.createOrder.id, status: 'PENDING' });
        const nested = await other.gql('{ user(userId: "user-9") { orders(first: 1) { edges { node { id } } } } }', undefined, {
          'shardgate-consistency-token': token!,
        });
        expect(nested.data.user.orders.edges[0].node.id).toBe(data.createOrder.id);
      }
    } finally {
      await other.close();
    }
  });

  it('30 aliased usersByIds { orders } selections are refused before any SQL', async () => {
    const selections = Array.from(
      { length: 30 },
      (_, i) => `u${i}: usersByIds(userIds: ["user-${i + 1}"]) { orders(first: 5) { edges { cursor } } }`,
    );
    fx.recorder.reset();
    const r = await fx.gql(`{ ${selections.join(' ')} }`);
    expect(r.status).toBe(400);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'OPERATION_TOO_COMPLEX', limit: 'statements' });
    expect(fx.recorder.count).toBe(0);
  });

  it('_entities resolves orders by id, batched per shard, beside users', async () => {
    const made = [];
    for (const userId of usersOn([0, 1, 2, 2])) made.push((await createOrder(userId)).data.createOrder);
    const reps = [
      ...made.map((o) => ({ __typename: 'Order', id: o.id })),
      { __typename: 'Order', id: encodeOrderId({ userId: 'user-1', orderId: newStoredOrderId() }) },
      { __typename: 'Order', id: 'garbage' },
    ];
    await eventually(
      async () => {
        const r = await fx.gql('query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id } } }', { r: reps.slice(0, 4) });
        return r.data?._entities.every((e: unknown) => e !== null);
      },
      10_000,
      'orders on replicas',
    );
    fx.recorder.reset();
    const r = await fx.gql('query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id userId } } }', { r: reps });
    expect(r.data._entities.slice(0, 5)).toEqual([...made.map((o) => ({ id: o.id, userId: o.userId })), null]);
    // The bad representation's entry is null or absent (compiled execution drops a trailing null), and an error names it.
    expect(r.data._entities[5] ?? null).toBeNull();
    expect(r.errors?.map((e) => [e.path, e.extensions?.code, e.extensions?.field])).toEqual([
      [['_entities', 5], 'BAD_USER_INPUT', 'representations.id'],
    ]);
    expect(fx.recorder.of().map((s) => s.statement)).toEqual(Array(3).fill('mod_orders_select_many'));
  });
});
