import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoUsers } from '../src/cli/seed-demo-users.js';
import type { RunningGateway } from '../src/server/start-gateway.js';
import { eventually, startTestGateway } from './support/gateway-fixture.js';
import { StatementRecorder } from '../testkit/statement-recorder.js';
import { useSharedDatabase } from './support/use-shared-database.js';

/**
 * The amplification attacks of the request-safety issue, replayed over HTTP
 * against a real gateway on 3 shards with 2,000 users: what each costs now
 * (status, statements, time, RSS growth of this process, which hosts the
 * gateway), and that a normal request is still answered meanwhile. The
 * numbers are printed; the assertions are about outcomes, never timings.
 */
let gateway: RunningGateway;
const recorder = new StatementRecorder();

beforeAll(async () => {
  const db = await useSharedDatabase('cost');
  gateway = await startTestGateway(db.topologyPath);
  await seedDemoUsers(gateway.shards.users, 3, 2000);
  await eventually(
    async () => {
      const r = await post({ query: '{ users(first: 0) { totalCount } }' });
      return (r.body as any)?.data?.users.totalCount === 2000;
    },
    20_000,
    'seed on replicas',
  );
  gateway.shards.db.addObserver(recorder);
});
afterAll(async () => {
  await gateway?.close();
});

/**
 * A JSON POST over a real socket. The gateway may answer 413 and close
 * while a large body is still being written: the answer is what counts.
 */
function post(payload: unknown): Promise<{ status: number; body: unknown }> {
  const data = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      {
        host: '127.0.0.1',
        port: gateway.port,
        path: '/graphql',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': data.length },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, body: null }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // keep the text
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.end(data);
  });
}

const aliases = (n: number, field: string) => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');
const ids500 = Array.from({ length: 500 }, (_, i) => `user-${i}`);

const CASES: { name: string; payload: () => unknown; status: number; code?: string }[] = [
  {
    name: '5,000 x users(first: 100)',
    payload: () => ({ query: `{ ${aliases(5000, 'users(first: 100) { edges { node { userId } } }')} }` }),
    status: 413,
  },
  {
    name: '2,000 x users(first: 100) (fits the body)',
    payload: () => ({ query: `{ ${aliases(2000, 'users(first: 100) { totalCount }')} }` }),
    status: 400,
    code: 'OPERATION_TOO_COMPLEX',
  },
  {
    name: '30 x users { totalCount }',
    payload: () => ({ query: `{ ${aliases(30, 'users(first: 100) { totalCount }')} }` }),
    status: 400,
    code: 'OPERATION_TOO_COMPLEX',
  },
  {
    name: '5,000 x shards { userCount }',
    payload: () => ({ query: `{ ${aliases(5000, 'shards { userCount }')} }` }),
    status: 400,
    code: 'OPERATION_TOO_COMPLEX',
  },
  {
    name: 'shards { 29 x userCount }',
    payload: () => ({ query: `{ shards { ${aliases(29, 'userCount')} } }` }),
    status: 400,
    code: 'OPERATION_TOO_COMPLEX',
  },
  {
    name: 'users(first: 1) { 29 x totalCount }',
    payload: () => ({ query: `{ users(first: 1) { ${aliases(29, 'totalCount')} } }` }),
    status: 400,
    code: 'OPERATION_TOO_COMPLEX',
  },
  {
    name: 'usersByIds($ids: 500) x 20,000',
    payload: () => ({
      query: `query($ids: [ID!]!) { ${aliases(20_000, 'usersByIds(userIds: $ids) { userId }')} }`,
      variables: { ids: ids500 },
    }),
    status: 413,
  },
  {
    name: 'usersByIds($ids: 500) x 5,000',
    payload: () => ({
      query: `query($ids: [ID!]!) { ${aliases(5000, 'usersByIds(userIds: $ids) { userId }')} }`,
      variables: { ids: ids500 },
    }),
    status: 400,
    code: 'OPERATION_TOO_COMPLEX',
  },
  {
    name: 'usersByIds($ids: 500) x 30 (allowed)',
    payload: () => ({
      query: `query($ids: [ID!]!) { ${aliases(30, 'usersByIds(userIds: $ids) { userId name email }')} }`,
      variables: { ids: ids500 },
    }),
    status: 200,
  },
  {
    name: '_entities x 100,000',
    payload: () => ({
      query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { userId } } }',
      variables: { r: Array.from({ length: 100_000 }, (_, i) => ({ __typename: 'User', userId: `user-${i}` })) },
    }),
    status: 413,
  },
  {
    name: '_entities x 5,000 (allowed)',
    payload: () => ({
      query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { userId } } }',
      variables: { r: Array.from({ length: 5000 }, (_, i) => ({ __typename: 'User', userId: `user-${i}` })) },
    }),
    status: 200,
  },
  { name: '600,000 x __typename', payload: () => ({ query: `{ ${aliases(600_000, '__typename')} }` }), status: 413 },
  {
    name: '5,000 nested inline fragments',
    payload: () => ({ query: `{ ${'... { '.repeat(5000)}__typename${' }'.repeat(5000)} }` }),
    status: 400,
    code: 'OPERATION_TOO_COMPLEX',
  },
  { name: '25 MB body', payload: () => JSON.stringify({ query: '{ __typename }', pad: 'x'.repeat(25_000_000) }), status: 413 },
];

describe('what the amplification attacks cost now', () => {
  it('each is refused before any SQL (or runs within the statement limit), and others are still served', async () => {
    const rows: Record<string, unknown>[] = [];
    for (const c of CASES) {
      const raw = c.payload();
      const payload = typeof raw === 'string' ? raw : JSON.stringify(raw);
      const bodyBytes = Buffer.byteLength(payload);
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 5);
      recorder.reset();
      const started = performance.now();
      const [hostile, bystander] = await Promise.all([post(payload), post({ query: '{ user(userId: "user-1") { userId } }' })]);
      const ms = performance.now() - started;
      clearInterval(sampler);
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      const statements = recorder.of().length;
      rows.push({
        case: c.name,
        body: `${(bodyBytes / 1024).toFixed(0)} KiB`,
        status: hostile.status,
        code: (hostile.body as any)?.errors?.[0]?.extensions?.code ?? '',
        statements,
        ms: Math.round(ms),
        rssGrowthMiB: Math.round((rssPeak - rssBefore) / 2 ** 20),
      });
      expect(hostile.status, `${c.name}: ${JSON.stringify(hostile.body).slice(0, 300)}`).toBe(c.status);
      if (c.code) expect((hostile.body as any).errors[0].extensions.code).toBe(c.code);
      if (c.status !== 200)
        expect(statements, c.name).toBeLessThanOrEqual(1); // the bystander's one lookup
      else expect(statements, c.name).toBeLessThanOrEqual(64 + 1);
      expect(bystander.body).toEqual({ data: { user: { userId: 'user-1' } } });
      // The payloads are built in this process, which also hosts the gateway:
      // building 25 MB of JSON stalls both, and a slow health probe may eject
      // a node for a moment. Pool pressure never does; readiness comes back.
      await eventually(async () => (await fetch(`http://127.0.0.1:${gateway.port}/readyz`)).status === 200, 15_000, '/readyz 200');
    }
    console.log(`request-safety cost (3 shards, 2,000 users; RSS of the test process hosting the gateway):\n${formatTable(rows)}`);
  });
});

function formatTable(rows: Record<string, unknown>[]): string {
  const keys = Object.keys(rows[0] ?? {});
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(keys), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(keys.map((k) => String(r[k]))))].join('\n');
}
