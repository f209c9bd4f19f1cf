import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getIntrospectionQuery } from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTopologyFile } from '../src/config/load-topology.js';
import { DEFAULT_OPERATION_LIMITS, type RequestSafetyOptions } from '../src/config/request-safety-options.js';
import { sha256Hex } from '../src/config/trusted-documents.js';
import { loadTrustedDocuments } from '../src/config/trusted-documents.js';
import { seedDemoUsers } from '../src/cli/seed-demo-users.js';
import { encodeUserCursor } from '../src/modules/users/user-cursor.js';
import { createRequestScope } from '../src/repository/request-scope.js';
import { ReadPolicy } from '../src/sharding/read-policy.js';
import { createApp } from '../src/server/create-app.js';
import { openShards } from '../src/repository/open-shards.js';
import { eventually, openGatewayFixture, testGatewayOptions, type GatewayFixture } from './support/gateway-fixture.js';
import { expectRefused, expectStillServing, postJson, send, STILL_SERVING_QUERY } from './support/hostile-client.js';
import { StatementRecorder } from '../testkit/statement-recorder.js';
import { useSharedDatabase } from './support/use-shared-database.js';

let fx: GatewayFixture;
let topologyPath: string;
const MAX = DEFAULT_OPERATION_LIMITS;

/** Every user on every primary (not charged to any request); leaves the recorder empty. */
async function totalUsers(): Promise<number> {
  let n = 0;
  for (const shard of fx.shards.manager.allShards()) n += await fx.shards.users.countOnShard(shard.id, ReadPolicy.PrimaryOnly);
  fx.recorder.reset();
  return n;
}

/** Another app over its own pools, with some settings changed; a recorder at its door. */
async function openVariant(
  safety: Partial<Omit<RequestSafetyOptions, 'limits'>> & { limits?: Partial<RequestSafetyOptions['limits']> },
  extra: { logger?: pino.Logger } = {},
) {
  const options = testGatewayOptions();
  const recorder = new StatementRecorder();
  const shards = openShards(loadTopologyFile(topologyPath), options, { observers: [recorder] });
  await shards.health.start();
  const app = createApp({
    shards,
    logger: extra.logger ?? pino({ level: 'silent' }),
    safety: { ...options.safety, ...safety, limits: { ...options.safety.limits, ...safety.limits } },
  });
  recorder.reset();
  return {
    app,
    recorder,
    shards,
    close: async () => {
      await app.dispose();
      await shards.close();
    },
  };
}

beforeAll(async () => {
  const db = await useSharedDatabase('safety');
  topologyPath = db.topologyPath;
  fx = await openGatewayFixture(db.topologyPath);
  await seedDemoUsers(fx.shards.users, 3, 2000);
  await eventually(
    async () => (await fx.gql('{ users(first: 0) { totalCount } }')).data?.users.totalCount === 2000,
    20_000,
    'seed on replicas',
  );
  fx.recorder.reset();
});
afterAll(async () => {
  await fx?.close();
});

const aliases = (n: number, field: string) => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');

describe('limits before execution', () => {
  it('aliases: 31 aliased fields are refused before any SQL (limit aliases, max 30)', async () => {
    const before = await totalUsers();
    const r = await postJson(fx.app, { query: `{ ${aliases(31, 'user(userId: "x") { userId }')} }` });
    await expectRefused(fx.app, fx.recorder, r, { status: 400, code: 'OPERATION_TOO_COMPLEX', extensions: { limit: 'aliases', max: 30 } });
    expect(await totalUsers()).toBe(before);
  });

  it('__typename aliases count too', async () => {
    const r = await postJson(fx.app, { query: `{ ${aliases(31, '__typename')} }` });
    await expectRefused(fx.app, fx.recorder, r, { status: 400, code: 'OPERATION_TOO_COMPLEX', extensions: { limit: 'aliases', max: 30 } });
  });

  it('statements: users costs one per shard, totalCount as many again; over 64 is refused, at 64 or less it runs', async () => {
    const tooMany = await postJson(fx.app, { query: `{ ${aliases(11, 'users(first: 1) { totalCount }')} }` }); // 11 x (3 + 3) = 66
    await expectRefused(fx.app, fx.recorder, tooMany, {
      status: 400,
      code: 'OPERATION_TOO_COMPLEX',
      extensions: { limit: 'statements', max: 64 },
    });
    const pages = await postJson(fx.app, { query: `{ ${aliases(22, 'users(first: 100) { edges { cursor } }')} }` }); // 66
    await expectRefused(fx.app, fx.recorder, pages, { status: 400, code: 'OPERATION_TOO_COMPLEX', extensions: { limit: 'statements' } });
    const fits = await postJson(fx.app, { query: `{ ${aliases(10, 'users(first: 1) { totalCount }')} }` }); // 60
    expect(fits.status).toBe(200);
    expect(fits.body.data.a9.totalCount).toBe(2000);
    expect(fx.recorder.of().length).toBe(60);
    fx.recorder.reset();
  });

  it('statements: shards { userCount } costs one per shard per alias', async () => {
    const r = await postJson(fx.app, { query: `{ ${aliases(22, 'shards { userCount }')} }` });
    await expectRefused(fx.app, fx.recorder, r, { status: 400, code: 'OPERATION_TOO_COMPLEX', extensions: { limit: 'statements' } });
    const nodesOnly = await postJson(fx.app, { query: `{ ${aliases(30, 'shards { id nodes { address } }')} }` });
    expect(nodesOnly.status).toBe(200);
    expect(fx.recorder.statements).toEqual([]);
  });

  it('statements: every aliased count costs its own statements (shards { c0: userCount … }, users { t0: totalCount … })', async () => {
    const counts = (n: number, field: string) => Array.from({ length: n }, (_, i) => `c${i}: ${field}`).join(' ');
    const userCounts = await postJson(fx.app, { query: `{ shards { ${counts(22, 'userCount')} } }` }); // 22 x 3 = 66
    await expectRefused(fx.app, fx.recorder, userCounts, {
      status: 400,
      code: 'OPERATION_TOO_COMPLEX',
      extensions: { limit: 'statements', max: 64 },
    });
    const totals = await postJson(fx.app, { query: `{ users(first: 1) { ${counts(29, 'totalCount')} } }` }); // 3 + 29 x 3 = 90
    await expectRefused(fx.app, fx.recorder, totals, { status: 400, code: 'OPERATION_TOO_COMPLEX', extensions: { limit: 'statements' } });
    const inFragments = await postJson(fx.app, {
      query: `{ shards { ...A ...B } } fragment A on Shard { ${counts(11, 'userCount')} } fragment B on Shard { ${counts(11, 'userCount').replaceAll('c', 'd')} }`,
    });
    await expectRefused(fx.app, fx.recorder, inFragments, {
      status: 400,
      code: 'OPERATION_TOO_COMPLEX',
      extensions: { limit: 'statements' },
    });
    // Within the limit they run, and send exactly what was estimated.
    const fits = await postJson(fx.app, { query: `{ users(first: 1) { ${counts(10, 'totalCount')} } }` }); // 33
    expect(fits.status).toBe(200);
    expect(fits.body.data.users.c9).toBe(2000);
    expect(fx.recorder.of().length).toBe(33);
    fx.recorder.reset();
  });

  it('id lookups of one consistency batch into at most one statement per shard: usersByIds(500 ids) x 30 aliases sends 3', async () => {
    const ids = Array.from({ length: 500 }, (_, i) => `user-${i}`);
    const r = await postJson(fx.app, {
      query: `query($ids: [ID!]!) { ${aliases(30, 'usersByIds(userIds: $ids) { userId }')} }`,
      variables: { ids },
    });
    expect(r.status).toBe(200);
    expect(r.body.data.a29).toHaveLength(500);
    expect(fx.recorder.of().length).toBe(3);
    fx.recorder.reset();
  });

  it('_entities is bounded (limit representations), and a body too large for it answers 413', async () => {
    const small = await openVariant({ limits: { maxRepresentations: 100 } });
    try {
      const representations = Array.from({ length: 101 }, (_, i) => ({ __typename: 'User', userId: `user-${i}` }));
      const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { userId } } }';
      const r = await postJson(small.app, { query, variables: { r: representations } });
      await expectRefused(small.app, small.recorder, r, {
        status: 400,
        code: 'OPERATION_TOO_COMPLEX',
        extensions: { limit: 'representations', max: 100 },
      });
      const ok = await postJson(small.app, { query, variables: { r: representations.slice(0, 100) } });
      expect(ok.status).toBe(200);
      expect(ok.body.data._entities).toHaveLength(100);
      expect(small.recorder.of().length).toBeLessThanOrEqual(3);
    } finally {
      await small.close();
    }
    const huge = Array.from({ length: 100_000 }, (_, i) => ({ __typename: 'User', userId: `u${i}` }));
    const r = await postJson(fx.app, {
      query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { userId } } }',
      variables: { r: huge },
    });
    await expectRefused(fx.app, fx.recorder, r, { status: 413 });
  });

  it('depth: nine levels are refused (limit depth, max 8); GraphiQL introspection still works', async () => {
    const deep = '{ __type(name: "User") { fields { type { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } }';
    const r = await postJson(fx.app, { query: deep });
    await expectRefused(fx.app, fx.recorder, r, { status: 400, code: 'OPERATION_TOO_COMPLEX', extensions: { limit: 'depth', max: 8 } });
    const introspection = await postJson(fx.app, { query: getIntrospectionQuery() });
    expect(introspection.status).toBe(200);
    expect(introspection.body.data.__schema.queryType.name).toBe('Query');
  });

  it('tokens: a document over 2000 tokens is refused while parsing', async () => {
    const r = await postJson(fx.app, { query: `{ ${'__typename '.repeat(2001)} }` });
    await expectRefused(fx.app, fx.recorder, r, { status: 400, code: 'OPERATION_TOO_COMPLEX', extensions: { limit: 'tokens', max: 2000 } });
  });

  it('bodies over 256 KiB answer 413: 5,000 users aliases (274 KB), 600,000 __typename aliases (11 MB)', async () => {
    const users = await postJson(fx.app, { query: `{ ${aliases(5000, 'users(first: 100) { edges { node { userId } } }')} }` });
    await expectRefused(fx.app, fx.recorder, users, { status: 413 });
    const typenames = await postJson(fx.app, { query: `{ ${aliases(600_000, '__typename')} }` });
    await expectRefused(fx.app, fx.recorder, typenames, { status: 413 });
  });

  it('5,000 nested inline fragments: refused by the token limit; with the limit lifted, by the bracket scan before parsing', async () => {
    const nested = `{ ${'... { '.repeat(20_000)}__typename${' }'.repeat(20_000)} }`;
    const r = await postJson(fx.app, { query: nested });
    await expectRefused(fx.app, fx.recorder, r, { status: 400, code: 'OPERATION_TOO_COMPLEX', extensions: { limit: 'depth' } });

    const logged: any[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    const lifted = await openVariant({ limits: { maxTokens: 1_000_000 } }, { logger });
    try {
      const deep = await postJson(lifted.app, { query: nested }, { 'x-request-id': 'deep-1' });
      await expectRefused(lifted.app, lifted.recorder, deep, {
        status: 400,
        code: 'OPERATION_TOO_COMPLEX',
        extensions: { limit: 'depth' },
      });
      expect(logged).toEqual([]);
    } finally {
      await lifted.close();
    }
  });

  it('nested list literals 1,999 and 5,000 deep: 400 OPERATION_TOO_COMPLEX every time, before the parser recurses; 128 still parse', async () => {
    const logged: any[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    const fresh = await openVariant({}, { logger }); // a fresh gateway: nothing parsed or cached yet
    try {
      for (const n of [1999, 5000, 1999]) {
        const query = `{ user(userId: ${'['.repeat(n)}"a"${']'.repeat(n)}) { userId } }`;
        const r = await postJson(fresh.app, { query });
        await expectRefused(fresh.app, fresh.recorder, r, { status: 400, code: 'OPERATION_TOO_COMPLEX', extensions: { limit: 'depth' } });
      }
      // At the nesting limit the parser runs, and validation answers for the type.
      const fits = await postJson(fresh.app, { query: `{ user(userId: ${'['.repeat(126)}"a"${']'.repeat(126)}) { userId } }` });
      expect(fits.status).toBe(400);
      expect(fits.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(logged).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('the door stops a request that sends more statements than allowed, before sending the one over', async () => {
    const users = fx.shards.users.forRequest(createRequestScope('budget-test', 2));
    await users.countOnShard(0, ReadPolicy.PrimaryOnly);
    await users.countOnShard(1, ReadPolicy.PrimaryOnly);
    await expect(users.countOnShard(2, ReadPolicy.PrimaryOnly)).rejects.toMatchObject({
      code: 'OPERATION_TOO_COMPLEX',
      limit: 'statements',
      max: 2,
    });
    expect(fx.recorder.of().map((s) => s.shardId)).toEqual([0, 1]);
    fx.recorder.reset();
  });
});

describe("bad headers are the client's mistake, not the server's", () => {
  it('200 requests with a bad shardgate-timeout-ms or consistency token: BAD_USER_INPUT, no error-level line, no stack, one line per kind', async () => {
    const logged: any[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    const variant = await openVariant({}, { logger });
    try {
      logged.length = 0;
      for (let i = 0; i < 100; i++) {
        const timeout = await postJson(variant.app, { query: '{ __typename }' }, { 'shardgate-timeout-ms': `soon-${i}` });
        expect(timeout.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'shardgate-timeout-ms' });
        const token = await postJson(variant.app, { query: '{ __typename }' }, { 'shardgate-consistency-token': `forged-${i}` });
        expect(token.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'shardgate-consistency-token' });
      }
      expect(variant.recorder.statements).toEqual([]);
      const text = logged.map((l) => JSON.stringify(l)).join('\n');
      expect(
        logged.filter((l) => l.level >= 40),
        text.slice(0, 2000),
      ).toEqual([]);
      expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack
      expect(text).not.toContain('"stack"');
      // Within one window, each kind is logged once; the rest are counted.
      const refused = logged.filter((l) => l.msg?.startsWith('request refused'));
      expect(refused.map((l) => l.field).sort()).toEqual(['shardgate-consistency-token', 'shardgate-timeout-ms']);
      expect(text.length).toBeLessThan(2000);
    } finally {
      await variant.close();
    }
  });
});

describe('CSRF and CORS', () => {
  const mutation = 'mutation { createUser(input: {userId: "csrf-victim", name: "Evil", email: "e@evil.example"}) { userId } }';

  it('a form post, multipart, text/plain or header-less GET runs nothing: 403', async () => {
    const before = await totalUsers();
    const evil = { origin: 'http://evil.example' };
    const form = await send(fx.app, {
      method: 'POST',
      headers: { ...evil, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: mutation }).toString(),
    });
    await expectRefused(fx.app, fx.recorder, form, { status: 403, code: 'CSRF_PREVENTED' });
    const multipart = new FormData();
    multipart.set('operations', JSON.stringify({ query: mutation }));
    multipart.set('map', '{}');
    await expectRefused(fx.app, fx.recorder, await send(fx.app, { method: 'POST', headers: evil, body: multipart }), {
      status: 403,
      code: 'CSRF_PREVENTED',
    });
    const textPlain = await send(fx.app, {
      method: 'POST',
      headers: { ...evil, 'content-type': 'text/plain' },
      body: JSON.stringify({ query: mutation }),
    });
    await expectRefused(fx.app, fx.recorder, textPlain, { status: 403, code: 'CSRF_PREVENTED' });
    const get = await send(fx.app, {
      url: `http://gateway.test/graphql?query=${encodeURIComponent('{ users(first: 1) { totalCount } }')}`,
      headers: evil,
    });
    await expectRefused(fx.app, fx.recorder, get, { status: 403, code: 'CSRF_PREVENTED' });
    const getMutation = await send(fx.app, {
      url: `http://gateway.test/graphql?query=${encodeURIComponent(mutation)}`,
      headers: { 'x-graphql-yoga-csrf': '1' },
    });
    await expectRefused(fx.app, fx.recorder, getMutation, { status: 405 });
    expect(await totalUsers()).toBe(before);
  });

  it('a body or query string that is not valid UTF-8 (overlong C0 80, latin1, a stray byte) is 400 BAD_REQUEST and runs nothing', async () => {
    const before = await totalUsers();
    const around = (bytes: number[]) =>
      Buffer.concat([
        Buffer.from('{"query":"mutation { createUser(input: {userId: \\"utf8-'),
        Buffer.from(bytes),
        Buffer.from('\\", name: \\"N\\", email: \\"u@x.io\\"}) { userId } }"}'),
      ]);
    expect(around([0x61]).toString()).toContain('userId: \\"utf8-a\\"');
    for (const bytes of [[0xc0, 0x80], [0xe9], [0xff], [0xed, 0xa0, 0x80]]) {
      const r = await send(fx.app, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', accept: 'application/graphql-response+json' },
        body: around(bytes),
      });
      await expectRefused(fx.app, fx.recorder, r, { status: 400, code: 'BAD_REQUEST' });
      expect(r.body.errors[0].message).toBe('The request body is not valid UTF-8.');
    }
    const latin1Graphql = await send(fx.app, {
      method: 'POST',
      headers: { 'content-type': 'application/graphql', accept: 'application/graphql-response+json' },
      body: Buffer.from('{ user(userId: "caf\xe9") { userId } }', 'latin1'),
    });
    await expectRefused(fx.app, fx.recorder, latin1Graphql, { status: 400, code: 'BAD_REQUEST' });
    const get = await send(fx.app, {
      url: 'http://gateway.test/graphql?query=%7B%20user(userId%3A%20%22a%C0%80%22)%20%7B%20userId%20%7D%20%7D',
      headers: { 'apollo-require-preflight': 'true', accept: 'application/graphql-response+json' },
    });
    await expectRefused(fx.app, fx.recorder, get, { status: 400, code: 'BAD_REQUEST' });
    // Well-formed UTF-8 still runs, multi-byte characters included.
    const ok = await send(fx.app, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ query: '{ user(userId: "café-😀") { userId } }' }), 'utf8'),
    });
    expect(ok.body).toEqual({ data: { user: null } });
    fx.recorder.reset();
    expect(await totalUsers()).toBe(before);
  });

  it('GraphiQL (application/json) and routers (apollo-require-preflight) still work', async () => {
    const json = await postJson(fx.app, { query: '{ user(userId: "user-1") { userId } }' });
    expect(json.body).toEqual({ data: { user: { userId: 'user-1' } } });
    const get = await send(fx.app, {
      url: `http://gateway.test/graphql?query=${encodeURIComponent('{ user(userId: "user-1") { userId } }')}`,
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(200);
    const page = await send(fx.app, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    fx.recorder.reset();
  });

  it('CORS is off by default: no origin is echoed, with or without credentials', async () => {
    const preflight = await send(fx.app, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const post = await postJson(fx.app, { query: '{ __typename }' }, { origin: 'http://evil.example' });
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
    expect(post.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('SHARDGATE_CORS_ORIGINS allows only the listed origins', async () => {
    const variant = await openVariant({ corsOrigins: ['https://app.example.com'] });
    try {
      const listed = await postJson(variant.app, { query: '{ __typename }' }, { origin: 'https://app.example.com' });
      expect(listed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const evil = await postJson(variant.app, { query: '{ __typename }' }, { origin: 'http://evil.example' });
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();
      expect(evil.headers.get('access-control-allow-credentials')).toBeNull();
    } finally {
      await variant.close();
    }
  });
});

describe('introspection switch and trusted documents', () => {
  it('SHARDGATE_INTROSPECTION=false: no __schema, no suggestions; _service and __typename stay', async () => {
    const closed = await openVariant({ introspection: false });
    try {
      const schema = await postJson(closed.app, { query: '{ __schema { types { name } } }' });
      await expectRefused(closed.app, closed.recorder, schema, { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' });
      const typo = await postJson(closed.app, { query: '{ userz(userId: "a") { userId } }' });
      await expectRefused(closed.app, closed.recorder, typo, { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' });
      expect(JSON.stringify(typo.body)).not.toMatch(/Did you mean|"user"/);
      const enumTypo = await postJson(closed.app, {
        query: 'query($c: ReadConsistency) { user(userId: "a", consistency: $c) { userId } }',
        variables: { c: 'STRONGG' },
      });
      await expectRefused(closed.app, closed.recorder, enumTypo, { status: 400, code: 'BAD_USER_INPUT', extensions: { field: '$c' } });
      expect(JSON.stringify(enumTypo.body)).not.toMatch(/Did you mean|"STRONG"/);
      const service = await postJson(closed.app, { query: '{ __typename _service { sdl } }' });
      expect(service.status).toBe(200);
      expect(service.body.data._service.sdl).toContain('@key(fields: "userId")');
    } finally {
      await closed.close();
    }
  });

  it('trusted documents (both manifest shapes) run by hash; anything else is PERSISTED_QUERY_NOT_FOUND and runs nothing', async () => {
    const doc = '{ user(userId: "user-1") { userId } }';
    const mutationDoc = 'mutation { deleteUser(userId: "user-2") }';
    const dir = mkdtempSync(join(tmpdir(), 'trusted-'));
    const flat = join(dir, 'persisted-documents.json');
    // The still-serving probe is trusted too; it is sent as text, which runs only because its hash is listed.
    writeFileSync(
      flat,
      JSON.stringify({
        [sha256Hex(doc)]: doc,
        [sha256Hex(mutationDoc)]: mutationDoc,
        [sha256Hex(STILL_SERVING_QUERY)]: STILL_SERVING_QUERY,
      }),
    );
    const apollo = join(dir, 'manifest.json');
    writeFileSync(
      apollo,
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [{ id: sha256Hex(doc), name: 'One', type: 'query', body: doc }],
      }),
    );
    expect([...loadTrustedDocuments(apollo).keys()]).toEqual([sha256Hex(doc)]);

    const trusted = await openVariant({ trustedDocuments: loadTrustedDocuments(flat) });
    try {
      const byHash = await postJson(trusted.app, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(doc) } } });
      expect(byHash.body).toEqual({ data: { user: { userId: 'user-1' } } });
      const byDocumentId = await postJson(trusted.app, { documentId: `sha256:${sha256Hex(doc)}` });
      expect(byDocumentId.body).toEqual({ data: { user: { userId: 'user-1' } } });
      trusted.recorder.reset();
      const before = await totalUsers();
      const unknown = await postJson(trusted.app, {
        extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex('{ shards { id } }') } },
      });
      await expectRefused(trusted.app, trusted.recorder, unknown, { status: 400, code: 'PERSISTED_QUERY_NOT_FOUND' });
      const text = await postJson(trusted.app, { query: 'mutation { deleteUser(userId: "user-3") }' });
      await expectRefused(trusted.app, trusted.recorder, text, { status: 400, code: 'PERSISTED_QUERY_NOT_FOUND' });
      const swapped = await postJson(trusted.app, {
        query: 'mutation { deleteUser(userId: "user-3") }',
        extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(doc) } },
      });
      await expectRefused(trusted.app, trusted.recorder, swapped, { status: 400, code: 'PERSISTED_QUERY_NOT_FOUND' });
      expect(await totalUsers()).toBe(before);
    } finally {
      await trusted.close();
    }
  });
});

describe('every input validated before SQL', () => {
  const create = 'mutation($i: CreateUserInput!) { createUser(input: $i) { userId } }';
  const cases: [string, Record<string, string>, string][] = [
    ['a NUL in name', { userId: 'nul-name', name: 'a\u0000b', email: 'n@x.io' }, 'input.name'],
    ['a control character in email', { userId: 'ctl-mail', name: 'N', email: 'a\u0007@x.io' }, 'input.email'],
    ['a lone surrogate in userId', { userId: 'bad-\ud800-x', name: 'N', email: 'n@x.io' }, 'input.userId'],
    ['a lone low surrogate in name', { userId: 'low-sur', name: 'x\udc00', email: 'n@x.io' }, 'input.name'],
    ['a blank userId', { userId: '   ', name: 'N', email: 'n@x.io' }, 'input.userId'],
    ['a tab in name', { userId: 'tab-name', name: 'a\tb', email: 'n@x.io' }, 'input.name'],
    ['a zero-width space in userId', { userId: 'admin\u200b', name: 'N', email: 'n@x.io' }, 'input.userId'],
    ['a bidi override in userId', { userId: 'user-\u202e1', name: 'N', email: 'n@x.io' }, 'input.userId'],
  ];
  for (const [what, input, field] of cases) {
    it(`${what}: BAD_USER_INPUT naming ${field}, nothing written`, async () => {
      const before = await totalUsers();
      const r = await postJson(fx.app, { query: create, variables: { i: input } });
      await expectRefused(fx.app, fx.recorder, r, { status: 200, code: 'BAD_USER_INPUT', extensions: { field } });
      expect(await totalUsers()).toBe(before);
    });
  }

  it('format characters in ids are refused wherever an id is named; names keep them', async () => {
    const lookups = [
      { query: '{ user(userId: "admin\u200b") { userId } }', field: 'userId' },
      { query: '{ usersByIds(userIds: ["user-1", "user-\u202e2"]) { userId } }', field: 'userIds' },
      { query: 'mutation { deleteUser(userId: "user-1\ufeff") }', field: 'userId' },
      { query: 'mutation { updateUser(userId: "user-\u20601", input: {name: "x"}) { userId } }', field: 'userId' },
    ];
    for (const { query, field } of lookups) {
      const r = await postJson(fx.app, { query });
      await expectRefused(fx.app, fx.recorder, r, { status: 200, code: 'BAD_USER_INPUT', extensions: { field } });
    }
    const named = await postJson(fx.app, {
      query: create,
      variables: { i: { userId: 'zwj-name', name: 'A\u200dB \u202eC', email: 'z@x.io' } },
    });
    fx.recorder.reset();
    expect(named.body.data).toEqual({ createUser: { userId: 'zwj-name' } });
  });

  it('a well-formed surrogate pair is fine', async () => {
    const r = await postJson(fx.app, { query: create, variables: { i: { userId: 'emoji-😀', name: '😀', email: 'e@x.io' } } });
    fx.recorder.reset();
    // A write hands back its consistency token.
    expect(r.body).toEqual({ data: { createUser: { userId: 'emoji-😀' } }, extensions: { consistencyToken: expect.any(String) } });
  });

  it('forged cursors are BAD_USER_INPUT on after: an impossible date, a NUL in the userId, invalid UTF-8', async () => {
    const forged = [
      encodeUserCursor({ direction: 'asc', createdAt: '2026-02-30T00:00:00.000000Z', userId: 'x' }),
      encodeUserCursor({ direction: 'asc', createdAt: '2026-01-01T24:00:00.000000Z', userId: 'x' }),
      encodeUserCursor({ direction: 'asc', createdAt: '2026-01-01T00:00:00.000000Z', userId: 'a\u0000b' }),
      encodeUserCursor({ direction: 'asc', createdAt: '2026-01-01T00:00:00.000000Z', userId: '  ' }),
      Buffer.concat([Buffer.from('v1|a|2026-01-01T00:00:00.000000Z|'), Buffer.from([0xff, 0xfe])]).toString('base64url'),
    ];
    for (const after of forged) {
      const r = await postJson(fx.app, {
        query: 'query($a: String) { users(first: 1, after: $a) { edges { cursor } } }',
        variables: { a: after },
      });
      await expectRefused(fx.app, fx.recorder, r, { status: 200, code: 'BAD_USER_INPUT', extensions: { field: 'after' } });
    }
  });

  it('variable, parse and validation errors carry a code', async () => {
    const variable = await postJson(fx.app, { query: create, variables: { i: { userId: 1.5, name: 'n' } } });
    await expectRefused(fx.app, fx.recorder, variable, { status: 400, code: 'BAD_USER_INPUT', extensions: { field: '$i' } });
    const missing = await postJson(fx.app, { query: create });
    await expectRefused(fx.app, fx.recorder, missing, { status: 400, code: 'BAD_USER_INPUT', extensions: { field: '$i' } });
    const parse = await postJson(fx.app, { query: '{ user(' });
    await expectRefused(fx.app, fx.recorder, parse, { status: 400, code: 'GRAPHQL_PARSE_FAILED' });
    const validation = await postJson(fx.app, { query: '{ nope }' });
    await expectRefused(fx.app, fx.recorder, validation, { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' });
    const operation = await postJson(fx.app, { query: 'query A { __typename } query B { __typename }', operationName: 'C' });
    await expectRefused(fx.app, fx.recorder, operation, { status: 400, code: 'OPERATION_RESOLUTION_FAILURE' });
    for (const r of [variable, missing, parse, validation, operation]) {
      for (const e of r.body.errors) expect(e.extensions.code, e.message).toMatch(/^[A-Z_]+$/);
    }
  });
});
