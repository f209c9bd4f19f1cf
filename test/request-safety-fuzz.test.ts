import fc from 'fast-check';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoUsers } from '../src/cli/seed-demo-users.js';
import { DEFAULT_OPERATION_LIMITS } from '../src/config/request-safety-options.js';
import { estimateStatements } from '../src/graphql/limits/estimate-statements.js';
import { gatewayModules } from '../src/modules/gateway-schema.js';
import { ReadPolicy } from '../src/sharding/read-policy.js';
import { openGatewayFixture, type GatewayFixture } from './support/gateway-fixture.js';
import { expectStillServing, postJson, type RawResponse } from './support/hostile-client.js';
import { useSharedDatabase } from './support/use-shared-database.js';

// Pinned: a failure prints its seed and path, and the same run comes back.
const RUNS = { seed: 20_261_202, numRuns: 120 };
const CODES = new Set([
  'BAD_USER_INPUT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'OPERATION_TOO_COMPLEX',
  'USER_NOT_FOUND',
  'USER_ALREADY_EXISTS',
  'BAD_REQUEST',
  'REQUEST_ENTITY_TOO_LARGE',
]);

let fx: GatewayFixture;

beforeAll(async () => {
  const db = await useSharedDatabase('fuzz');
  fx = await openGatewayFixture(db.topologyPath);
  await seedDemoUsers(fx.shards.users, 3, 300);
  fx.recorder.reset();
});
afterAll(async () => {
  await fx?.close();
});

async function totalUsers(): Promise<number> {
  let n = 0;
  for (const shard of fx.shards.manager.allShards()) n += await fx.shards.users.countOnShard(shard.id, ReadPolicy.PrimaryOnly);
  fx.recorder.reset();
  return n;
}

/** What every answer must satisfy, whatever was sent. */
function checkAnswer(r: RawResponse, sent: unknown): void {
  const where = `${JSON.stringify(sent).slice(0, 300)} → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
  expect([200, 400, 413], where).toContain(r.status);
  for (const e of r.body?.errors ?? []) expect(CODES.has(e.extensions?.code), where).toBe(true);
  const statements = fx.recorder.of().length;
  expect(statements, where).toBeLessThanOrEqual(DEFAULT_OPERATION_LIMITS.maxStatements);
  if (r.status !== 200) expect(statements, `refused but sent SQL: ${where}`).toBe(0);
  // The estimate never falls short of what execution sends, so the limit
  // refuses before the first statement rather than the door mid-request.
  const estimated = estimateOf(sent);
  if (estimated !== null) expect(statements, `more statements than estimated (${estimated}): ${where}`).toBeLessThanOrEqual(estimated);
  for (const e of r.body?.errors ?? []) {
    if (e.extensions?.limit === 'statements') expect(statements, `stopped by the door, not refused before SQL: ${where}`).toBe(0);
  }
  fx.recorder.reset();
}

/** The gateway's estimate for a sent `{ query, variables }`, or null when there is none to make. */
function estimateOf(sent: unknown): number | null {
  const payload = sent as { query?: unknown; variables?: Record<string, unknown> } | null;
  if (typeof payload?.query !== 'string') return null;
  try {
    // What the gateway estimates: every field costs what its module (the built-in users and orders included) declared.
    return estimateStatements(parse(payload.query), undefined, payload.variables, fx.shards.manager.shardCount, {
      fieldCosts: gatewayModules().fieldCosts,
    }).statements;
  } catch {
    return null;
  }
}

/** Strings no argument accepts: a control character, a lone surrogate, or nothing. */
const invalidString = fc.oneof(
  fc
    .tuple(fc.string({ maxLength: 8 }), fc.integer({ min: 0, max: 0x1f }), fc.string({ maxLength: 8 }))
    .map(([a, c, b]) => `${a}${String.fromCharCode(c)}${b}`),
  fc
    .tuple(fc.string({ maxLength: 8 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 8 }))
    .map(([a, c, b]) => `${a}${String.fromCharCode(c)}${b}`),
  fc.constant(''),
);
/** Any string at all, full Unicode and broken UTF-16 included. */
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  invalidString,
  fc.constantFrom('user-1', 'user-2', '   ', "'; DROP TABLE users;--"),
);

const alias = fc.nat({ max: 1_000_000 }).map((n) => `a${n}`);
const rootField = fc.oneof(
  anyString.map((s) => `user(userId: $s) { userId name }`),
  fc.constantFrom(
    'users(first: 5) { edges { cursor node { userId } } }',
    'users(first: 1) { totalCount }',
    'users(first: 101) { totalCount }',
    'users(after: $s) { pageInfo { endCursor } }',
  ),
  fc.constantFrom(
    'shards { id userCount }',
    'shards { nodes { address role } }',
    '__typename',
    '_service { sdl }',
    'usersByIds(userIds: [$s, $s]) { userId }',
  ),
  // Aliased counts: each alias is a count of its own.
  fc
    .tuple(fc.constantFrom('shards { %s }', 'users(first: 1) { %s }'), fc.integer({ min: 1, max: 30 }))
    .map(([shape, n]) =>
      shape.replace(
        '%s',
        Array.from({ length: n }, (_, i) => `c${i}: ${shape.startsWith('shards') ? 'userCount' : 'totalCount'}`).join(' '),
      ),
    ),
  fc.constantFrom(
    'user(userId: "x", consistency: STRONG) { userId }',
    '_entities(representations: [{__typename: "User", userId: $s}]) { ... on User { userId } }',
  ),
);
/** A query of random root fields, some aliased, the hostile string passed as a variable. */
const queryDocument = fc
  .tuple(fc.array(fc.tuple(fc.option(alias, { nil: undefined }), rootField), { minLength: 1, maxLength: 40 }), anyString)
  .map(([fields, s]) => ({
    query: `query Q($s: String) { ${fields.map(([a, f]) => (a ? `${a}: ${f}` : f)).join(' ')} }`,
    variables: { s },
  }));

describe('fuzzed hostile requests (fast-check, seeded)', () => {
  it('random queries: a code on every error, never a crash, at most 64 statements, none when refused', async () => {
    await fc.assert(
      fc.asyncProperty(queryDocument, async (payload) => {
        fx.recorder.reset(); // a failed run (or its shrinking) leaves its statements behind
        checkAnswer(await postJson(fx.app, payload), payload);
      }),
      RUNS,
    );
    await expectStillServing(fx.app, fx.recorder);
  });

  it('mutations with an invalid string anywhere change nothing and send no SQL', async () => {
    const before = await totalUsers();
    const field = fc.constantFrom('input.userId', 'input.name', 'input.email');
    const mutation = fc
      .array(fc.tuple(field, invalidString, fc.constantFrom('create', 'update', 'delete')), { minLength: 1, maxLength: 5 })
      .map((ops) => {
        const variables: Record<string, unknown> = {};
        const defs: string[] = [];
        const fields = ops.map(([which, bad, kind], i) => {
          if (kind === 'create') {
            variables[`v${i}`] = { userId: `fuzz-${i}`, name: 'Fuzz', email: `f${i}@x.io`, [which.slice(6)]: bad };
            defs.push(`$v${i}: CreateUserInput!`);
            return `m${i}: createUser(input: $v${i}) { userId }`;
          }
          // updateUser and deleteUser take the bad value as their userId, or as the new name/email.
          variables[`u${i}`] = which === 'input.userId' || kind === 'delete' ? bad : `fuzz-${i}`;
          defs.push(`$u${i}: ID!`);
          if (kind === 'delete') return `m${i}: deleteUser(userId: $u${i})`;
          variables[`p${i}`] = which === 'input.userId' ? { name: 'Fuzz' } : { [which.slice(6)]: bad };
          defs.push(`$p${i}: UpdateUserInput!`);
          return `m${i}: updateUser(userId: $u${i}, input: $p${i}) { userId }`;
        });
        return { query: `mutation M(${defs.join(', ')}) { ${fields.join(' ')} }`, variables };
      });
    await fc.assert(
      fc.asyncProperty(mutation, async (payload) => {
        fx.recorder.reset();
        const r = await postJson(fx.app, payload);
        expect(fx.recorder.statements, JSON.stringify(payload)).toEqual([]);
        checkAnswer(r, payload);
        expect(r.body.errors?.length ?? 0, JSON.stringify(r.body)).toBeGreaterThan(0);
        for (const e of r.body.errors) expect(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED']).toContain(e.extensions.code);
        expect(Object.values(r.body.data ?? {}).every((v) => v === null)).toBe(true);
      }),
      RUNS,
    );
    expect(await totalUsers()).toBe(before);
  });

  it('random JSON as variables: coerced or refused with BAD_USER_INPUT', async () => {
    const query =
      'query($ids: [ID!]!, $c: ReadConsistency, $f: Int, $a: String) { usersByIds(userIds: $ids, consistency: $c) { userId } users(first: $f, after: $a) { totalCount } }';
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            ids: fc.jsonValue({ maxDepth: 2 }),
            c: fc.jsonValue({ maxDepth: 1 }),
            f: fc.jsonValue({ maxDepth: 1 }),
            a: fc.jsonValue({ maxDepth: 1 }),
          },
          { requiredKeys: [] },
        ),
        async (variables) => {
          fx.recorder.reset();
          checkAnswer(await postJson(fx.app, { query, variables }), { query, variables });
        },
      ),
      RUNS,
    );
  });

  it('token soup: refused with a code, nothing sent unless it is a valid operation', async () => {
    const token = fc.constantFrom(
      '{',
      '}',
      '(',
      ')',
      '...',
      'users',
      'user',
      'a:',
      '$s',
      ':',
      '"s"',
      '"\\u0000"',
      '@skip(if: true)',
      'query',
      'mutation',
      'fragment F',
      'on',
      'User',
      '[',
      ']',
      '!',
      '=',
      '#c\n',
      '1',
      'true',
      'userId',
      'totalCount',
      'deleteUser(userId: "x")',
      '__typename',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(token, { maxLength: 60 }).map((t) => t.join(' ')),
        async (query) => {
          fx.recorder.reset();
          checkAnswer(await postJson(fx.app, { query, variables: { s: 'x' } }), { query, variables: { s: 'x' } });
        },
      ),
      RUNS,
    );
    await expectStillServing(fx.app, fx.recorder);
  });
});
