import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoUsers, demoUser } from '../src/cli/seed-demo-users.js';
import { fnv1a32 } from '../src/sharding/fnv1a32.js';
import { eventually, openGatewayFixture, type GatewayFixture } from './support/gateway-fixture.js';
import { listenOnLoopback, type LoopbackServer } from './support/listen-on-loopback.js';
import { createReviewsSubgraph, REVIEWS_SDL, type Review } from './support/reviews-subgraph.js';
import { composeSupergraph, startSupergraphGateway, type RunningGateway } from './support/supergraph-gateway.js';
import { useSharedDatabase } from './support/use-shared-database.js';
import { usersByIdsStatement } from '../src/repository/user-statements.js';

const SEEDED = 100;
const REFERENCED = 60;
const GHOST = 'no-such-user';

let fx: GatewayFixture;
/** Everything started here, stopped in reverse order in afterAll, whatever failed. */
const running: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  const db = await useSharedDatabase('federation');
  fx = await openGatewayFixture(db.topologyPath);
  running.push(fx);
  await seedDemoUsers(fx.shards.users, 3, SEEDED);
  // Replicas must have the seed: `_entities` reads with EVENTUAL consistency.
  await eventually(
    async () => {
      const r = await fx.gql('{ users(first: 0) { totalCount } }');
      return r.data?.users.totalCount === SEEDED;
    },
    15_000,
    'seed on replicas',
  );
});

afterAll(async () => {
  const failures: unknown[] = [];
  for (const server of running.reverse()) {
    await server.close().catch((err: unknown) => failures.push(err));
  }
  if (failures.length > 0) throw new AggregateError(failures, 'cleanup failed');
});

const ENTITIES = `query($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on User { userId name email shardId } }
}`;

const user = (userId: string) => ({ __typename: 'User', userId });

/** Runs `fn` while noting, in order, when each statement starts and ends at the repository's door. */
async function withStatementTimeline<T>(fn: () => Promise<T>): Promise<{ result: T; events: ('start' | 'end')[] }> {
  const events: ('start' | 'end')[] = [];
  const recorder = fx.recorder;
  const original = recorder.onStart;
  recorder.onStart = (event) => {
    events.push('start');
    const finish = original.call(recorder, event);
    return (outcome) => {
      events.push('end');
      finish?.(outcome);
    };
  };
  try {
    return { result: await fn(), events };
  } finally {
    recorder.onStart = original;
  }
}

describe('the subgraph protocol, straight to shardgate', () => {
  it('_service { sdl } declares Federation v2.6 and User @key(fields: "userId")', async () => {
    const r = await fx.gql('{ _service { sdl } }');
    expect(r.errors).toBeUndefined();
    const sdl: string = r.data._service.sdl;
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.6"');
    expect(sdl).toContain('@key(fields: "userId")');
    expect(sdl).toMatch(/type User\s+@key\(fields: "userId"\)\s*\{\s*userId: ID!/);
  });

  it('_entities answers in representation order, null for unknown ids, one statement per shard', async () => {
    const ids = ['user-42', GHOST, 'user-7', 'user-99', 'user-1', 'user-42', 'user-13', 'user-64'];
    expect(new Set(ids.filter((id) => id !== GHOST).map((id) => fnv1a32(id) % 3))).toEqual(new Set([0, 1, 2]));
    fx.recorder.reset();
    const r = await fx.gql(ENTITIES, { reps: ids.map(user) });
    expect(r.errors).toBeUndefined();
    expect(r.data._entities).toEqual(
      ids.map((id) => {
        if (id === GHOST) return null;
        const { name, email } = demoUser(Number(id.slice('user-'.length)));
        return { userId: id, name, email, shardId: fnv1a32(id) % 3 };
      }),
    );
    const statements = fx.recorder.of();
    expect(statements.map((s) => s.statement)).toEqual(statements.map((s) => usersByIdsStatement(s.batchSize!).statement.name));
    expect(statements).toHaveLength(3);
    expect(statements.map((s) => s.shardId).sort()).toEqual([0, 1, 2]);
    expect(statements.every((s) => s.role === 'replica')).toBe(true);
    // user-42 twice is loaded once: 7 distinct ids, the ghost included.
    expect(statements.reduce((n, s) => n + s.batchSize!, 0)).toBe(new Set(ids).size);
  });

  it('an empty userId is BAD_USER_INPUT, before any SQL', async () => {
    fx.recorder.reset();
    const r = await fx.gql(ENTITIES, { reps: [user('')] });
    expect(r.status).toBe(200);
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'representations.userId' });
    expect(r.errors![0]!.path).toEqual(['_entities', 0]);
    expect(fx.recorder.of()).toEqual([]);
  });

  it('a bad representation fails alone: the others still resolve', async () => {
    const reps = [
      user('user-3'),
      user(''),
      { __typename: 'User' },
      user('a\u0000b'),
      { __typename: 'User', userId: { $ne: null } },
      user('user-4'),
    ];
    const r = await fx.gql(ENTITIES, { reps });
    expect(r.data._entities.map((u: { userId: string } | null) => u?.userId ?? null)).toEqual(['user-3', null, null, null, null, 'user-4']);
    expect(r.errors?.map((e) => [e.path, e.extensions?.code, e.extensions?.field])).toEqual(
      [1, 2, 3, 4].map((i) => [['_entities', i], 'BAD_USER_INPUT', 'representations.userId']),
    );
  });

  it('an integer userId is looked up as its string, like an ID argument', async () => {
    fx.recorder.reset();
    const r = await fx.gql(ENTITIES, { reps: [{ __typename: 'User', userId: 42 }] });
    expect(r.errors).toBeUndefined();
    expect(r.data._entities).toEqual([null]);
    expect(fx.recorder.of()).toMatchObject([{ statement: 'users_select_one', shardId: fnv1a32('42') % 3, batchSize: 1 }]);
  });

  it('a missing, unknown or non-entity __typename is BAD_USER_INPUT naming representations[i].__typename; the others resolve', async () => {
    fx.recorder.reset();
    const reps = [
      { __typename: 'Review', id: '1' },
      { userId: 'user-1' },
      { __typename: 'Shard', id: 0 },
      { __typename: 7, userId: 'user-1' },
      user('user-5'),
      { __typename: 'user', userId: 'user-1' },
    ];
    const r = await fx.gql(ENTITIES, { reps });
    expect(r.status).toBe(200);
    expect(r.data._entities.map((u: { userId: string } | null) => u?.userId ?? null)).toEqual([null, null, null, null, 'user-5', null]);
    expect(r.errors?.map((e) => [e.path, e.extensions?.code, e.extensions?.field])).toEqual(
      [0, 1, 2, 3, 5].map((i) => [['_entities', i], 'BAD_USER_INPUT', `representations[${i}].__typename`]),
    );
    expect(r.errors![0]!.message).toBe('representations[0].__typename: "Review" is not an entity here; expected one of: Order, User');
    // Only the valid representation is looked up.
    expect(fx.recorder.of()).toMatchObject([{ statement: 'users_select_one', batchSize: 1 }]);
    const alone = await fx.gql(ENTITIES, { reps: [{ __typename: 'Shard', id: 0 }] });
    expect(alone.data).toEqual({ _entities: [null] });
    expect(alone.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect((await fx.gql('{ user(userId: "user-1") { userId } }')).data.user).toEqual({ userId: 'user-1' });
  });
});

describe('in a supergraph, behind @apollo/gateway', () => {
  /** Reviews 1..60 reference user-1..user-60 in a scrambled order; review 61 references a user that does not exist. */
  const reviews: Review[] = [
    ...Array.from({ length: REFERENCED }, (_, i) => {
      const n = ((i * 37) % REFERENCED) + 1;
      return { id: `review-${i + 1}`, stars: Math.round(n * 12.5 * 100) / 100, userId: `user-${n}` };
    }),
    { id: `review-${REFERENCED + 1}`, stars: 1, userId: GHOST },
  ];
  let shardgate: LoopbackServer;
  let reviewsServer: LoopbackServer;
  const orderReviews: Review[] = [];
  let gateway: RunningGateway;

  beforeAll(async () => {
    shardgate = await listenOnLoopback(fx.app);
    running.push(shardgate);
    // Orders of users 1..6, each with a review in the reviews subgraph, reached through Order.reviews only.
    for (let i = 1; i <= 6; i++) {
      const r = await fx.gql(`mutation { createOrder(input: { userId: "user-${i}", totalCents: ${i * 100}, currency: "EUR" }) { id } }`);
      orderReviews.push({ id: `order-review-${i}`, stars: i, userId: `user-${i}`, orderId: r.data.createOrder.id });
    }
    reviewsServer = await listenOnLoopback(createReviewsSubgraph(reviews, orderReviews));
    running.push(reviewsServer);

    // shardgate's SDL as a registry would get it: `_service { sdl }`, over HTTP.
    const response = await fetch(`${shardgate.origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
    });
    const { data } = (await response.json()) as { data: { _service: { sdl: string } } };
    const supergraphSdl = composeSupergraph([
      { name: 'users', url: `${shardgate.origin}/graphql`, sdl: data._service.sdl },
      { name: 'reviews', url: `${reviewsServer.origin}/graphql`, sdl: REVIEWS_SDL },
    ]);
    gateway = await startSupergraphGateway(supergraphSdl);
    running.push({ close: () => gateway.stop() });
  });

  async function viaGateway(query: string) {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { data: any; errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[] };
  }

  it('the 60 referenced users are spread over all 3 shards', () => {
    const shards = new Set(reviews.slice(0, REFERENCED).map((o) => fnv1a32(o.userId) % 3));
    expect(shards).toEqual(new Set([0, 1, 2]));
  });

  it('joins reviews to their users; the missing user is null; 61 references cost one statement per shard, in parallel', async () => {
    const requestsBefore = shardgate.requests;
    fx.recorder.reset();
    const { result: r, events } = await withStatementTimeline(() =>
      viaGateway('{ reviews { id stars user { userId name email shardId } } }'),
    );
    const statements = fx.recorder.of();

    expect(r.errors).toBeUndefined();
    expect(r.data.reviews).toHaveLength(REFERENCED + 1);
    r.data.reviews.forEach((order: any, i: number) => {
      const expected = reviews[i]!;
      expect(order.id).toBe(expected.id);
      expect(order.stars).toBe(expected.stars);
      if (expected.userId === GHOST) {
        expect(order.user).toBeNull();
        return;
      }
      const { name, email } = demoUser(Number(expected.userId.slice('user-'.length)));
      expect(order.user).toEqual({ userId: expected.userId, name, email, shardId: fnv1a32(expected.userId) % 3 });
    });

    // The gateway sends one `_entities` request with all 61 representations;
    // shardgate's loader turns it into one lookup statement per shard, in parallel.
    expect(shardgate.requests - requestsBefore).toBe(1);
    expect(statements.length).toBeLessThanOrEqual(3);
    expect(statements.map((s) => s.statement)).toEqual(statements.map((s) => usersByIdsStatement(s.batchSize!).statement.name));
    expect(statements).toHaveLength(3);
    expect(statements.map((s) => s.shardId).sort()).toEqual([0, 1, 2]);
    expect(statements.reduce((n, s) => n + s.batchSize!, 0)).toBe(new Set(reviews.map((o) => o.userId)).size);
    // All three were in flight at once: scattered, not one shard after another.
    expect(events).toEqual(['start', 'start', 'start', 'end', 'end', 'end']);
  });

  it('a query that needs no user fields beyond the key never calls shardgate', async () => {
    const requestsBefore = shardgate.requests;
    fx.recorder.reset();
    const r = await viaGateway('{ reviews { id user { userId } } }');
    expect(r.errors).toBeUndefined();
    expect(r.data.reviews.map((o: any) => o.user.userId)).toEqual(reviews.map((o) => o.userId));
    expect(shardgate.requests).toBe(requestsBefore);
    expect(fx.recorder.of()).toEqual([]);
  });

  it("shardgate's own root fields are served through the supergraph", async () => {
    const r = await viaGateway('{ user(userId: "user-5") { userId name shardId } shards { id } }');
    expect(r.errors).toBeUndefined();
    expect(r.data.user).toEqual({ userId: 'user-5', name: demoUser(5).name, shardId: fnv1a32('user-5') % 3 });
    expect(r.data.shards.map((s: { id: number }) => s.id)).toEqual([0, 1, 2]);
  });

  it('the reviews subgraph extends Order: shardgate serves the orders, the gateway fetches their reviews', async () => {
    const r = await viaGateway(
      '{ orders(first: 6, orderBy: CREATED_AT_ASC, consistency: STRONG) { edges { node { id totalCents user { userId } reviews { stars } } } } }',
    );
    expect(r.errors).toBeUndefined();
    const nodes = r.data.orders.edges.map((e: any) => e.node);
    expect(nodes).toHaveLength(6);
    for (const node of nodes) {
      const review = orderReviews.find((x) => x.orderId === node.id)!;
      expect(node.user.userId).toBe(review.userId);
      expect(node.reviews).toEqual([{ stars: review.stars }]);
    }
  });
});
