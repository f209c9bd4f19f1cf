import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedDemoUsers } from '../src/cli/seed-demo-users.js';
import { SELECT_USER_BY_ID } from '../src/repository/user-statements.js';
import { eventually, openGatewayFixture, testGatewayOptions, type GatewayFixture } from './support/gateway-fixture.js';
import { useSharedDatabase } from './support/use-shared-database.js';
import { idOnShard } from './support/id-on-shard.js';

/** Shards of the shared test cluster (test/global-setup.ts). */
const SHARDS = 3;

// The gateway gets this provider's tracer injected. Registering it (once for this
// file; vitest runs each file in its own worker) installs the AsyncLocalStorage
// context manager, through which statement spans find their operation span.
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();

let fx: GatewayFixture;

beforeAll(async () => {
  const db = await useSharedDatabase('tracing');
  // Generous health settings: a probe slowed by other test files must not send reads to a primary.
  fx = await openGatewayFixture(db.topologyPath, testGatewayOptions({ timeoutMs: 2000, failuresToEject: 3 }), {
    tracer: provider.getTracer('shardgate-test'),
  });
  await seedDemoUsers(fx.shards.users, 3, 90);
  await eventually(
    async () => (await fx.gql('{ users(first: 0) { totalCount } }')).data?.users.totalCount === 90,
    15_000,
    'seed on replicas',
  );
});
afterAll(async () => {
  await fx?.close();
  await provider.shutdown();
});
beforeEach(() => exporter.reset());

/** The finished spans: the one SERVER span of the request, and its CLIENT spans. */
function spansOfRequest() {
  const spans = exporter.getFinishedSpans();
  const servers = spans.filter((s) => s.kind === SpanKind.SERVER);
  expect(servers).toHaveLength(1);
  const operation = servers[0]!;
  const statements = spans.filter((s) => s.kind === SpanKind.CLIENT);
  for (const s of statements) {
    expect(s.spanContext().traceId).toBe(operation.spanContext().traceId);
    expect(s.parentSpanContext?.spanId, `${s.name} is a child of the operation span`).toBe(operation.spanContext().spanId);
  }
  return { operation, statements };
}

const ns = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
const byShard = (spans: ReadableSpan[]) => [...spans].sort((a, b) => Number(a.attributes['shard.id']) - Number(b.attributes['shard.id']));

describe('spans per GraphQL operation and per shard statement', () => {
  it('a point read: the operation span and one CLIENT span on the shard replica, with the semconv attributes', async () => {
    const r = await fx.gql('query OneUser { user(userId: "user-42") { userId shardId } }');
    expect(r.data.user).toEqual({ userId: 'user-42', shardId: 0 });
    const { operation, statements } = spansOfRequest();
    expect(operation.name).toBe('query OneUser');
    expect(operation.attributes).toMatchObject({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'OneUser' });
    expect(operation.parentSpanContext).toBeUndefined();
    expect(statements).toHaveLength(1);
    const [read] = statements;
    const replica = fx.shards.manager.shard(0).replicas[0]!;
    expect(read!.name).toBe('SELECT users');
    expect(read!.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.namespace': replica.config.dbname,
      'db.operation.name': 'SELECT',
      'db.query.text': SELECT_USER_BY_ID.text,
      'server.address': '127.0.0.1',
      'server.port': replica.config.port,
      'shard.id': 0,
      'shard.role': 'replica',
      'shard.route.reason': 'replica-read',
      'shard.batch.keys': 1,
    });
    expect(read!.attributes['shard.replica.lag_seconds']).toEqual(expect.any(Number));
    expect(JSON.stringify(read!.attributes)).not.toContain('user-42');
    expect(read!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a batched read over 3 shards: 3 CLIENT spans whose batch sizes sum to the ids', async () => {
    const ids = [...Array.from({ length: 10 }, (_, i) => `user-${i + 1}`), 'no-such-user'];
    const r = await fx.gql('query Batch($ids: [ID!]!) { usersByIds(userIds: $ids) { userId } a: user(userId: "user-20") { userId } }', {
      ids,
    });
    expect(r.errors).toBeUndefined();
    const { operation, statements } = spansOfRequest();
    expect(operation.name).toBe('query Batch');
    expect(byShard(statements).map((s) => [s.attributes['shard.id'], s.attributes['shard.role']])).toEqual([
      [0, 'replica'],
      [1, 'replica'],
      [2, 'replica'],
    ]);
    expect(statements.reduce((n, s) => n + Number(s.attributes['shard.batch.keys']), 0)).toBe(ids.length + 1);
  });

  it('a scatter page: one CLIENT span per shard, overlapping in time', async () => {
    const r = await fx.gql('query Page { users(first: 5) { edges { node { userId } } } }');
    expect(r.data.users.edges).toHaveLength(5);
    const { operation, statements } = spansOfRequest();
    expect(operation.name).toBe('query Page');
    expect(statements).toHaveLength(3);
    expect(
      byShard(statements).map((s) => [s.attributes['shard.id'], s.attributes['shard.role'], s.attributes['db.operation.name']]),
    ).toEqual([
      [0, 'replica', 'SELECT'],
      [1, 'replica', 'SELECT'],
      [2, 'replica', 'SELECT'],
    ]);
    // Side by side: every statement started before any of them ended.
    const lastStart = statements.map((s) => ns(s.startTime)).reduce((a, b) => (a > b ? a : b));
    const firstEnd = statements.map((s) => ns(s.endTime)).reduce((a, b) => (a < b ? a : b));
    expect(lastStart).toBeLessThan(firstEnd);
    // ... and inside the operation span.
    for (const s of statements) {
      expect(ns(s.startTime)).toBeGreaterThanOrEqual(ns(operation.startTime));
      expect(ns(s.endTime)).toBeLessThanOrEqual(ns(operation.endTime));
    }
  });

  it("a mutation: the INSERT on the primary of the user's shard", async () => {
    const userId = idOnShard(1, SHARDS, 'traced');
    const r = await fx.gql('mutation Create($id: ID!) { createUser(input: {userId: $id, name: "T", email: "t@example.com"}) { userId } }', {
      id: userId,
    });
    expect(r.errors).toBeUndefined();
    const { operation, statements } = spansOfRequest();
    expect(operation.name).toBe('mutation Create');
    // The email's claim on its lookup shard (fnv1a32("t@example.com") % 3 = 0), then the user.
    expect(statements.map((s) => s.name)).toEqual(['INSERT user_emails', 'INSERT users']);
    expect(statements[0]!.attributes).toMatchObject({ 'shard.id': 0, 'shard.role': 'primary', 'db.collection.name': 'user_emails' });
    statements.shift();
    expect(statements[0]!.attributes).toMatchObject({
      'shard.id': 1,
      'shard.role': 'primary',
      'shard.route.reason': 'write',
      'db.operation.name': 'INSERT',
      'server.port': fx.shards.manager.shard(1).primary.config.port,
    });
    expect(statements[0]!.attributes).not.toHaveProperty('shard.replica.lag_seconds');
  });

  it('a STRONG read goes to the primary and its span says why', async () => {
    await fx.gql('query Strong { user(userId: "user-42", consistency: STRONG) { userId } }');
    const { statements } = spansOfRequest();
    expect(statements.map((s) => [s.attributes['shard.role'], s.attributes['shard.route.reason']])).toEqual([['primary', 'strong-read']]);
  });

  it('a refused statement: ERROR status with the SQLSTATE, and no value or message in the span', async () => {
    const userId = idOnShard(2, SHARDS, 'dupe-traced');
    const create = `mutation Dupe { createUser(input: {userId: "${userId}", name: "D", email: "d@example.com"}) { userId } }`;
    await fx.gql(create);
    exporter.reset();
    const r = await fx.gql(create);
    expect(r.errors?.[0]?.extensions?.code).toBe('USER_ALREADY_EXISTS');
    const { operation, statements } = spansOfRequest();
    // The email's claim succeeds (it is this user's own claim again); the users INSERT is refused.
    expect(statements.map((s) => [s.name, s.status.code])).toEqual([
      ['INSERT user_emails', SpanStatusCode.UNSET],
      ['INSERT users', SpanStatusCode.ERROR],
    ]);
    statements.shift();
    expect(statements[0]!.status).toEqual({ code: SpanStatusCode.ERROR, message: '23505' });
    expect(statements[0]!.attributes).toMatchObject({ 'db.response.status_code': '23505', 'error.type': '23505' });
    expect(operation.status.code).toBe(SpanStatusCode.ERROR);
    expect(operation.attributes['error.type']).toBe('USER_ALREADY_EXISTS');
    const everything = JSON.stringify(exporter.getFinishedSpans().map((s) => [s.name, s.attributes, s.status, s.events]));
    expect(everything).not.toContain(userId);
  });

  it('an incoming W3C traceparent is continued', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpanId = '00f067aa0ba902b7';
    await fx.gql('query Continued { users(first: 2) { edges { node { userId } } } }', undefined, {
      traceparent: `00-${traceId}-${callerSpanId}-01`,
    });
    const { operation, statements } = spansOfRequest();
    expect(operation.spanContext().traceId).toBe(traceId);
    expect(operation.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(operation.parentSpanContext?.isRemote).toBe(true);
    expect(statements).toHaveLength(3);
  });

  it('a request refused for a syntax error still gets its operation span, in ERROR', async () => {
    const r = await fx.gql('query Broken { user(userId: "x") { userId }');
    expect(r.errors?.[0]?.message).toMatch(/Syntax Error/);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.kind])).toEqual([['graphql', SpanKind.SERVER]]);
    expect(spans[0]!.status.code).toBe(SpanStatusCode.ERROR);
  });
});
