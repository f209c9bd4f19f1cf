import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topology } from '../src/config/topology.js';
import { ShardUnavailableError, UserAlreadyExistsError, UserNotFoundError } from '../src/repository/errors.js';
import { migrateAll } from '../src/repository/migrations.js';
import { statement } from '../src/repository/statement.js';
import { SELECT_USERS_BY_IDS, usersByIdsStatement, usersPageStatement } from '../src/repository/user-statements.js';
import { ReadPolicy } from '../src/sharding/read-policy.js';
import { fnv1a32 } from '../src/sharding/fnv1a32.js';
import { eventually, openGatewayFixture, type GatewayFixture } from './support/gateway-fixture.js';
import { useSharedDatabase } from './support/use-shared-database.js';
import { withDirectSession } from '../testkit/pg-session.js';
import { idOnShard } from './support/id-on-shard.js';

let fx: GatewayFixture;
const PLANS = statement(
  'test_plans',
  'SELECT',
  'SELECT name, generic_plans, custom_plans FROM pg_prepared_statements WHERE name = ANY($1::text[])',
  false,
);
let topology: Topology;

/** One user by id, through the repository's per-shard lookup, by `policy`. */
const getOne = async (policy: ReadPolicy, userId: string) =>
  (await fx.shards.users.getManyOnShard(fx.shards.users.shardIdOf(userId), [userId], policy))[0] ?? null;

/** A direct connection to one node, around the gateway: what is really stored there. */
function onNode<T>(node: Topology['shards'][number]['primary'], fn: (c: pg.Client) => Promise<T>): Promise<T> {
  return withDirectSession(node, fn);
}
const idsOn = (node: Topology['shards'][number]['primary']) =>
  onNode(node, async (c) => (await c.query<{ user_id: string }>('SELECT user_id FROM users')).rows.map((r) => r.user_id).sort());

beforeAll(async () => {
  const db = await useSharedDatabase('repository');
  topology = db.topology as Topology;
  fx = await openGatewayFixture(db.topologyPath);
});
afterAll(async () => {
  await fx?.close();
});

describe('placement', () => {
  it('stores every user on fnv1a32(userId) % 3, checked on the primaries directly, and replicas receive the rows', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `placement-${i}-${'é'.repeat(i % 3)}`);
    // 50 at a time: each create is two writes (the email's claim, then the user), queued on pools of 4 per node.
    for (let at = 0; at < ids.length; at += 50) {
      const chunk = ids.slice(at, at + 50);
      await Promise.all(chunk.map((userId) => fx.shards.users.create({ userId, name: `N ${userId}`, email: `${userId}@example.com` })));
    }
    const expected = [0, 1, 2].map((s) => ids.filter((id) => fnv1a32(id) % 3 === s).sort());
    expect(expected.every((list) => list.length > 60)).toBe(true); // the hash spreads them
    for (const shard of topology.shards) {
      expect(await idsOn(shard.primary)).toEqual(expected[shard.shardId]);
    }
    for (const shard of topology.shards) {
      await eventually(async () => (await idsOn(shard.replicas[0]!)).length === expected[shard.shardId]!.length, 10_000, 'replication');
      expect(await idsOn(shard.replicas[0]!)).toEqual(expected[shard.shardId]);
    }
  });
});

describe('UserRepository', () => {
  it('create → primary, and a duplicate userId is USER_ALREADY_EXISTS (SQLSTATE 23505), changing nothing', async () => {
    fx.recorder.reset();
    const user = await fx.shards.users.create({ userId: 'alice', name: 'Alice', email: 'alice@example.com' });
    expect(user).toMatchObject({ userId: 'alice', name: 'Alice', email: 'alice@example.com', shardId: 2 });
    expect(user.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    // The email's claim on its lookup shard (fnv1a32("alice@example.com") % 3 = 2), then the user.
    expect(fx.recorder.of()).toMatchObject([
      { nodeId: fx.shards.manager.shard(2).primary.id, reason: 'write', statement: 'emails_claim' },
      { nodeId: fx.shards.manager.shard(2).primary.id, reason: 'write', statement: 'users_insert_claimed' },
    ]);
    await expect(fx.shards.users.create({ userId: 'alice', name: 'Other', email: 'o@example.com' })).rejects.toBeInstanceOf(
      UserAlreadyExistsError,
    );
    expect((await getOne(ReadPolicy.PrimaryOnly, 'alice'))!.name).toBe('Alice');
  });

  it('an EVENTUAL read goes to a replica, a STRONG one to the primary', async () => {
    await fx.shards.users.create({ userId: 'user-42', name: 'Forty Two', email: 'ft@example.com' });
    fx.recorder.reset();
    expect(await getOne(ReadPolicy.PrimaryOnly, 'user-42')).toMatchObject({ userId: 'user-42', shardId: 0 });
    expect(fx.recorder.of()).toMatchObject([{ nodeId: fx.shards.manager.shard(0).primary.id, role: 'primary', reason: 'strong-read' }]);
    await eventually(async () => (await getOne(ReadPolicy.ReplicaPreferred, 'user-42')) !== null, 10_000, 'replica read');
    fx.recorder.reset();
    expect(await getOne(ReadPolicy.ReplicaPreferred, 'user-42')).toMatchObject({ userId: 'user-42', name: 'Forty Two' });
    expect(fx.recorder.of()).toMatchObject([
      { nodeId: fx.shards.manager.shard(0).replicas[0]!.id, role: 'replica', reason: 'replica-read' },
    ]);
    expect(await getOne(ReadPolicy.ReplicaPreferred, 'nobody-here')).toBeNull();
  });

  it('update → primary; absent fields keep their value; unknown user is USER_NOT_FOUND', async () => {
    await fx.shards.users.create({ userId: 'bob', name: 'Bob', email: 'bob@example.com' });
    fx.recorder.reset();
    const updated = await fx.shards.users.update('bob', { email: 'robert@example.com' });
    expect(updated).toMatchObject({ userId: 'bob', name: 'Bob', email: 'robert@example.com' });
    // New email: claimed first, the user updated, the old email's row released.
    expect(fx.recorder.of().map((s) => `${s.role}:${s.statement}`)).toEqual([
      'primary:emails_claim',
      'primary:users_update_claimed',
      'primary:emails_release',
    ]);
    await expect(fx.shards.users.update('no-such-user', { name: 'x' })).rejects.toBeInstanceOf(UserNotFoundError);
  });

  it('delete → primary, true only when the user existed', async () => {
    await fx.shards.users.create({ userId: 'carol', name: 'Carol', email: 'carol@example.com' });
    expect(await fx.shards.users.delete('carol')).toBe(true);
    expect(await fx.shards.users.delete('carol')).toBe(false);
    expect(await getOne(ReadPolicy.PrimaryOnly, 'carol')).toBeNull();
  });

  it('getManyOnShard sends one statement; missing ids are absent', async () => {
    const ids = ['m-1', 'm-2', 'm-3', 'm-4', 'm-5', 'm-6'];
    await Promise.all(ids.map((userId) => fx.shards.users.create({ userId, name: userId, email: `${userId}@x.io` })));
    const shardId = fx.shards.users.shardIdOf('m-1');
    const sameShard = ids.filter((id) => fx.shards.users.shardIdOf(id) === shardId);
    fx.recorder.reset();
    const found = await fx.shards.users.getManyOnShard(shardId, [...sameShard, 'm-missing'], ReadPolicy.PrimaryOnly);
    expect(found.map((u) => u.userId).sort()).toEqual([...sameShard].sort());
    expect(fx.recorder.of()).toMatchObject([
      { statement: `users_select_few_${sameShard.length + 1}`, batchSize: sameShard.length + 1, role: 'primary' },
    ]);
  });

  it('PostgreSQL keeps one plan for a lookup of one id, of a few ids and of many, instead of planning every execution', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `plan-${i}`);
    const one = usersByIdsStatement(1).statement;
    const few = usersByIdsStatement(3).statement;
    const plans = await fx.shards.db.transaction(0, async (tx) => {
      // One connection: pg_prepared_statements describes this session's statements.
      for (let i = 0; i < 10; i++) {
        await tx.execute(one, [ids[i]!]);
        await tx.execute(few, ids.slice(i, i + 3));
        await tx.execute(SELECT_USERS_BY_IDS, [ids]);
      }
      const { rows } = await tx.execute<{ name: string; generic_plans: string; custom_plans: string }>(PLANS, [
        [one.name, few.name, SELECT_USERS_BY_IDS.name],
      ]);
      return new Map(rows.map((r) => [r.name, { generic: Number(r.generic_plans), custom: Number(r.custom_plans) }]));
    });
    // PostgreSQL tries 5 custom plans, then keeps the generic one when it is no dearer
    // (`= ANY($1)` with fewer than 10 ids never was: custom plans only).
    for (const name of [one.name, few.name, SELECT_USERS_BY_IDS.name]) {
      expect(plans.get(name)!.custom, name).toBeLessThanOrEqual(5);
      expect(plans.get(name)!.generic, name).toBeGreaterThanOrEqual(5);
    }
  });

  it('pageOnShard walks one shard in (createdAt, userId) order both ways, and countOnShard counts', async () => {
    const shardId = 1;
    const total = await fx.shards.users.countOnShard(shardId, ReadPolicy.PrimaryOnly);
    const all = [];
    let after = null;
    for (;;) {
      const page = await fx.shards.users.pageOnShard(shardId, { after, direction: 'asc', limit: 7 }, ReadPolicy.PrimaryOnly);
      all.push(...page);
      if (page.length < 7) break;
      after = page[page.length - 1]!;
    }
    expect(all).toHaveLength(total);
    const keys = all.map((u) => `${u.createdAt}|${u.userId}`);
    expect([...keys].sort()).toEqual(keys);
    const desc = await fx.shards.users.pageOnShard(shardId, { after: all[5]!, direction: 'desc', limit: 10 }, ReadPolicy.PrimaryOnly);
    expect(desc.map((u) => u.userId)).toEqual(
      all
        .slice(0, 5)
        .reverse()
        .map((u) => u.userId),
    );
  });

  it('PostgreSQL plans a page statement once per connection, not at every execution (the size is part of the statement)', async () => {
    const first = usersPageStatement('asc', false, 4);
    const after = usersPageStatement('asc', true, 4);
    const plans = await fx.shards.db.transaction(0, async (tx) => {
      // One connection: pg_prepared_statements describes this session's statements.
      for (let i = 0; i < 8; i++) {
        await tx.execute(first, []);
        await tx.execute(after, ['1970-01-01T00:00:00.000000Z', 'a']);
      }
      const { rows } = await tx.execute<{ name: string; generic_plans: string; custom_plans: string }>(PLANS, [[first.name, after.name]]);
      return new Map(rows.map((r) => [r.name, { generic: Number(r.generic_plans), custom: Number(r.custom_plans) }]));
    });
    // No parameter decides the plan: one generic plan from the start.
    expect(plans.get(first.name)!.custom).toBe(0);
    expect(plans.get(first.name)!.generic).toBeGreaterThanOrEqual(8);
    // The cursor's parameters: PostgreSQL tries 5 custom plans, then keeps the generic one
    // (with `LIMIT $3` it planned every execution again: custom plans only).
    expect(plans.get(after.name)!.custom).toBeLessThanOrEqual(5);
    expect(plans.get(after.name)!.generic).toBeGreaterThanOrEqual(3);
  });

  it('stores SQL-looking input verbatim', async () => {
    const nasty = { userId: "x'); DROP TABLE users; --", name: 'Robert"); DELETE FROM users;--', email: "o'hara@example.com" };
    const created = await fx.shards.users.create(nasty);
    expect(created).toMatchObject(nasty);
    expect(await getOne(ReadPolicy.PrimaryOnly, nasty.userId)).toMatchObject(nasty);
    expect(await fx.shards.users.countOnShard(0, ReadPolicy.PrimaryOnly)).toBeGreaterThan(0);
  });

  it('migrate is idempotent', async () => {
    const again = await migrateAll(fx.shards.db);
    expect(again.map((r) => r.applied)).toEqual([[], [], []]);
  });

  it('reports replica lag from the health checker: measured against the primary, and about nothing once a write has replicated', async () => {
    const shards = fx.shards.manager.allShards();
    for (const shard of shards) {
      const userId = idOnShard(shard.id, shards.length, 'lag');
      await fx.shards.users.create({ userId, name: 'Lag', email: 'lag@example.com' });
      const replica = topology.shards[shard.id]!.replicas[0]!;
      await eventually(
        async () => (await onNode(replica, (c) => c.query('SELECT 1 FROM users WHERE user_id = $1', [userId]))).rowCount === 1,
        30_000,
        `the write on shard ${shard.id} to reach its replica`,
      );
    }
    // Other test files write to the same cluster meanwhile, so a probe may catch a replica
    // a moment behind: poll until every replica has replayed what it received.
    await eventually(
      async () => {
        await fx.shards.health.checkOnce();
        return shards.every((shard) => (fx.shards.manager.healthOf(shard.replicas[0]!).lag?.seconds ?? Infinity) < 1);
      },
      30_000,
      'every replica to report less than a second of lag',
    );
    for (const shard of shards) {
      const health = fx.shards.manager.healthOf(shard.replicas[0]!);
      expect(health.status).toBe('healthy');
      // Bytes are measured against the primary's position of the same round: known while the primary answers.
      expect(health.lag).toEqual({ seconds: expect.any(Number), bytes: expect.any(Number) });
      expect(fx.shards.manager.healthOf(shard.primary)).toMatchObject({ status: 'healthy', lag: null });
    }
  });

  it('a shard whose nodes cannot be reached is SHARD_UNAVAILABLE, quickly (writes after the failover buffer)', async () => {
    const { openShards } = await import('../src/repository/open-shards.js');
    const { testGatewayOptions } = await import('./support/gateway-fixture.js');
    const dead = { host: '127.0.0.1', port: 1, user: 'postgres', password: '', dbname: 'x' };
    const deadReplica = { ...dead, port: 2 };
    const options = { ...testGatewayOptions(), failover: { bufferMs: 300, bufferMax: 10 } };
    const broken = openShards({ shards: [{ shardId: 0, primary: dead, replicas: [deadReplica] }] }, options);
    try {
      const started = Date.now();
      const err = await broken.users.getManyOnShard(0, ['x'], ReadPolicy.ReplicaPreferred).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ShardUnavailableError);
      expect((err as ShardUnavailableError).shardId).toBe(0);
      await expect(broken.users.create({ userId: 'x', name: 'x', email: 'x@y' })).rejects.toBeInstanceOf(ShardUnavailableError);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await broken.close();
    }
  });
});
