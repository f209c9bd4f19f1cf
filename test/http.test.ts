import { auditServer } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../src/server/start-gateway.js';
import { startTestGateway } from './support/gateway-fixture.js';
import { useSharedDatabase } from './support/use-shared-database.js';

let gateway: RunningGateway;
let base: string;

beforeAll(async () => {
  const db = await useSharedDatabase('http');
  gateway = await startTestGateway(db.topologyPath);
  base = `http://127.0.0.1:${gateway.port}`;
});
afterAll(async () => {
  await gateway?.close();
});

describe('GraphQL over HTTP (real server)', () => {
  it('passes every MUST of the graphql-http server audit, with no warnings', async () => {
    const results = await auditServer({ url: `${base}/graphql` });
    const musts = results.filter((r) => r.name.startsWith('MUST'));
    expect(musts.length).toBeGreaterThan(10);
    expect(musts.filter((r) => r.status !== 'ok').map((r) => `${r.id} ${r.name}: ${'reason' in r ? r.reason : ''}`)).toEqual([]);
    expect(results.filter((r) => r.status === 'error' || r.status === 'warn').map((r) => r.name)).toEqual([]);
  });

  it('serves queries and mutations over POST, queries over GET, and refuses mutations over GET', async () => {
    const post = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { createUser(input: {userId: "http-1", name: "H", email: "h@x.io"}) { userId shardId } }' }),
    });
    expect(post.status).toBe(200);
    const token = post.headers.get('shardgate-consistency-token');
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    // A write hands back its consistency token, in the body and in the header.
    expect(await post.json()).toEqual({ data: { createUser: { userId: 'http-1', shardId: 2 } }, extensions: { consistencyToken: token } });
    // A GET runs only with a header no browser sends cross-site without a preflight (CSRF).
    const preflighted = { 'x-graphql-yoga-csrf': '1' };
    const getUrl = `${base}/graphql?query=${encodeURIComponent('{ user(userId: "http-1", consistency: STRONG) { userId } }')}`;
    const get = await fetch(getUrl, { headers: preflighted });
    expect(await get.json()).toEqual({ data: { user: { userId: 'http-1' } } });
    expect((await fetch(getUrl)).status).toBe(403);
    const mutationViaGet = await fetch(`${base}/graphql?query=${encodeURIComponent('mutation { deleteUser(userId: "http-1") }')}`, {
      headers: preflighted,
    });
    expect(mutationViaGet.status).toBe(405);
  });

  it('answers a syntax error with 400 (graphql-response+json) and never crashes on garbage', async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
    const bad = await fetch(`${base}/graphql`, { method: 'POST', headers, body: '{"query": "{ user(" }' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].message).toMatch(/Syntax Error/);
    const garbage = await fetch(`${base}/graphql`, { method: 'POST', headers, body: '\u0000{{{' });
    expect(garbage.status).toBe(400);
    const wrongType = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: '{ users(first: "ten") { totalCount } }' }),
    });
    expect(wrongType.status).toBe(400);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('serves /healthz and /readyz as JSON', async () => {
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', unavailableShards: [] });
  });

  it('serves GraphiQL to browsers from /graphql, with no CDN asset', async () => {
    const page = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('GraphiQL');
    expect(html).not.toMatch(/<script[^>]+src="https?:\/\//);
    expect(html).not.toMatch(/<link[^>]+href="https?:\/\//);
    expect(html).not.toContain('unpkg.com');
  });
});
