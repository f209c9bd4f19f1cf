import { describe, expect, it } from 'vitest';
import { demoUser } from '../src/cli/seed-demo-users.js';
import { emailLookupKey } from '../src/sharding/email-lookup-key.js';
import { shardIdFor } from '../src/sharding/shard-id-for.js';
import { benchOrderCount } from './bench-orders.js';
import { buildScenarios, expectedStatements, isNestedOrdersBatch, sameShardEmails } from './scenarios.js';

const inputs = { users: 1000, shardCount: 3, gatewayDeepCursor: 'g', baselineDeepCursor: 'b', deepPages: 3 };

function nestedUser(i: number, edges = Math.min(5, benchOrderCount(i))) {
  return {
    userId: `user-${i}`,
    orders: {
      edges: Array.from({ length: edges }, (_, k) => ({ node: { id: `o${k}` } })),
      pageInfo: { hasNextPage: benchOrderCount(i) > 5 },
    },
  };
}

describe('bench scenarios', () => {
  it('nested orders: 100 users a request, two statements per shard touched, the same bodies on both sides', () => {
    const nested = buildScenarios(inputs).find((s) => s.id === 'nestedOrders')!;
    expect(nested.gatewayStatements).toBe(6);
    expect(nested.baselineBodies).toBe(nested.gatewayBodies);
    const body = JSON.parse(nested.gatewayBodies[0]!) as { query: string; variables: { userIds: string[] } };
    expect(body.variables.userIds).toHaveLength(100);
    expect(body.query).toContain('orders(first: 5)');
  });

  it('nested orders: a response passes only with every user and exactly its page of orders', () => {
    const users = Array.from({ length: 100 }, (_, k) => nestedUser(k + 1));
    expect(isNestedOrdersBatch(users)).toBe(true);
    expect(isNestedOrdersBatch(users.slice(1))).toBe(false);
    // user-10 has 10 orders: a page of 5, not 4.
    expect(isNestedOrdersBatch(users.map((u, k) => (k === 9 ? nestedUser(10, 4) : u)))).toBe(false);
    expect(isNestedOrdersBatch(users.map((u, k) => (k === 0 ? null : u)))).toBe(false);
  });

  it('usersByEmail: one email a request, not in its stored case, and counts the emails that share their owner shard', () => {
    const byEmail = buildScenarios(inputs).find((s) => s.id === 'usersByEmail')!;
    expect(byEmail.gatewayStatements).toBe(2);
    // One statement for an email beside its owner, two otherwise, averaged over the counted requests.
    const perBody = byEmail.statementsPerBody!;
    const userOf = (body: string) => {
      const lower = (JSON.parse(body) as { variables: { email: string } }).variables.email.toLowerCase();
      return Array.from({ length: 1000 }, (_, k) => k + 1).find((n) => demoUser(n).email === lower)!;
    };
    expect(perBody).toEqual(byEmail.gatewayBodies.map((b) => (sameShardEmails([userOf(b)], 3) === 1 ? 1 : 2)));
    expect(expectedStatements(byEmail, 4)).toBe((perBody[0]! + perBody[1]! + perBody[2]! + perBody[3]!) / 4);
    const email = (JSON.parse(byEmail.gatewayBodies[0]!) as { variables: { email: string } }).variables.email;
    expect(email).not.toBe(email.toLowerCase());
    const i = Array.from({ length: 1000 }, (_, k) => k + 1).find((n) => demoUser(n).email === email.toLowerCase())!;
    expect(i).toBeGreaterThan(0);
    const same = (n: number) => (shardIdFor(emailLookupKey(demoUser(n).email), 3) === shardIdFor(demoUser(n).userId, 3) ? 1 : 0);
    const sample = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(sameShardEmails(sample, 3)).toBe(sample.reduce((sum, n) => sum + same(n), 0));
    expect(byEmail.title).toMatch(/^usersByEmail \(\d+ of 32 emails on their owner's shard\)$/);
  });
});
