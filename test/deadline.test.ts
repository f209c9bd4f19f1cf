import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topology } from '../src/config/topology.js';
import { migrateAll } from '../src/repository/migrations.js';
import { eventually, openGatewayFixture, testGatewayOptions, type GatewayFixture } from './support/gateway-fixture.js';
import { startStallProxy, type StallProxy } from './support/stall-proxy.js';
import { useSharedDatabase } from './support/use-shared-database.js';
import { idOnShard } from './support/id-on-shard.js';
import { openDirectSession } from '../testkit/pg-session.js';

/** Shards of the shared test cluster (test/global-setup.ts). */
const SHARDS = 3;

// Shard 1's primary is reached through a proxy that can hold back its answers.
const SLOW_SHARD = 1;
let fx: GatewayFixture;
let proxy: StallProxy;
let topology: Topology;
let tempDir: string | undefined;
/** Holds the locks. */
let admin: pg.Client;
/** Reads pg_stat_activity outside admin's transaction, which would freeze what it sees at its first look. */
let watcher: pg.Client;

/** Statements of the gateway (its application_name) running on the slow shard's primary right now, seen directly, not through the proxy. */
async function ourActiveStatements(): Promise<string[]> {
  const { rows } = await watcher.query<{ query: string }>(
    `SELECT query FROM pg_stat_activity WHERE datname = $1 AND application_name = 'shardgate' AND state = 'active'`,
    [topology.shards[SLOW_SHARD]!.primary.dbname],
  );
  return rows.map((r) => r.query);
}

beforeAll(async () => {
  const db = await useSharedDatabase('deadline');
  const direct = db.topology as Topology;
  const primary = direct.shards[SLOW_SHARD]!.primary;
  proxy = await startStallProxy(primary.port);
  topology = {
    shards: direct.shards.map((s) => (s.shardId === SLOW_SHARD ? { ...s, primary: { ...s.primary, port: proxy.port } } : s)),
  };
  tempDir = await mkdtemp(join(tmpdir(), 'shardgate-deadline-'));
  const path = join(tempDir, 'topology.json');
  await writeFile(path, JSON.stringify(topology));
  // Probes that never answer while stalled must not eject the node during the test: that is what SHARD_TIMEOUT is not about.
  fx = await openGatewayFixture(path, testGatewayOptions({ failuresToEject: 1000 }));
  await migrateAll(fx.shards.db);
  admin = await openDirectSession(primary);
  watcher = await openDirectSession(primary);
});
afterAll(async () => {
  proxy?.resume();
  await admin?.end();
  await watcher?.end();
  await fx?.close();
  await proxy?.close();
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
});

const update = (userId: string, headers: Record<string, string>) =>
  fx.gql(`mutation { updateUser(userId: "${userId}", input: {name: "Late"}) { name } }`, undefined, headers);

describe('request deadlines', () => {
  it('a bad shardgate-timeout-ms is BAD_USER_INPUT and sends nothing', async () => {
    for (const value of ['0', '-1', 'soon', '1.5', '99999999999']) {
      fx.recorder.reset();
      const r = await fx.gql('{ user(userId: "user-42") { userId } }', undefined, { 'shardgate-timeout-ms': value });
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'shardgate-timeout-ms' });
      expect(r.data ?? null).toBeNull();
      expect(fx.recorder.statements).toEqual([]);
    }
  });

  it('a statement blocked on the server is answered SHARD_TIMEOUT at the deadline and cancelled on the server', async () => {
    const userId = idOnShard(SLOW_SHARD, SHARDS, 'locked');
    await fx.gql(`mutation { createUser(input: {userId: "${userId}", name: "N", email: "n@x.io"}) { userId } }`);
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
    try {
      const started = Date.now();
      const r = await update(userId, { 'shardgate-timeout-ms': '300' });
      const took = Date.now() - started;
      expect(r.errors).toHaveLength(1);
      expect(r.errors![0]!.extensions).toEqual({ code: 'SHARD_TIMEOUT', shardId: SLOW_SHARD });
      expect(r.errors![0]!.message).not.toMatch(/127\.0\.0\.1|users|SELECT|UPDATE/);
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(3_000); // far below the 5 s statement_timeout that would otherwise end it
      // The lock is still held: only a cancel can have ended the statement.
      await eventually(async () => (await ourActiveStatements()).length === 0, 3_000, 'the blocked UPDATE to be cancelled');
      expect(fx.recorder.of().at(-1)).toMatchObject({ statement: 'users_update', outcome: 'timeout' });
    } finally {
      await admin.query('ROLLBACK');
    }
    // A deadline is the client's budget, not the node's health.
    expect(fx.shards.manager.isServable(fx.shards.manager.shard(SLOW_SHARD).primary)).toBe(true);
    expect((await update(userId, {})).data.updateUser).toEqual({ name: 'Late' });
  });

  it('a shard that does not answer (stalled network) is SHARD_TIMEOUT at the deadline; its backend is cancelled; other shards answer', async () => {
    const slow = idOnShard(SLOW_SHARD, SHARDS, 'stalled');
    const fine = idOnShard(0, SHARDS, 'stalled');
    for (const userId of [slow, fine]) {
      await fx.gql(`mutation { createUser(input: {userId: "${userId}", name: "N", email: "n@x.io"}) { userId } }`);
    }
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
    proxy.stall();
    try {
      const started = Date.now();
      const r = await fx.gql(
        `{ a: user(userId: "${slow}", consistency: STRONG) { userId } b: user(userId: "${fine}", consistency: STRONG) { userId } }`,
        undefined,
        { 'shardgate-timeout-ms': '400' },
      );
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(r.data).toEqual({ a: null, b: { userId: fine } });
      expect(r.errors?.map((e) => e.extensions)).toEqual([{ code: 'SHARD_TIMEOUT', shardId: SLOW_SHARD }]);
      // The cancel request went through the (one-way) stalled path and reached the server.
      await eventually(async () => (await ourActiveStatements()).length === 0, 3_000, 'the stalled read to be cancelled');
    } finally {
      proxy.resume();
      await admin.query('ROLLBACK');
    }
  });

  it('waiting for a connection counts: a full pool answers SHARD_TIMEOUT at the deadline', async () => {
    const userId = idOnShard(SLOW_SHARD, SHARDS, 'pool');
    await fx.gql(`mutation { createUser(input: {userId: "${userId}", name: "N", email: "n@x.io"}) { userId } }`);
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
    try {
      // The test pools hold 4 connections: these take them all, blocked on the lock.
      const blocked = Array.from({ length: 4 }, () => update(userId, { 'shardgate-timeout-ms': '5000' }));
      await eventually(async () => (await ourActiveStatements()).length === 4, 5_000, 'four blocked statements');
      fx.recorder.reset();
      const started = Date.now();
      const r = await update(userId, { 'shardgate-timeout-ms': '300' });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(r.errors?.[0]?.extensions).toEqual({ code: 'SHARD_TIMEOUT', shardId: SLOW_SHARD });
      await admin.query('ROLLBACK');
      for (const b of await Promise.all(blocked)) expect(b.data.updateUser).toEqual({ name: 'Late' });
    } finally {
      await admin.query('ROLLBACK').catch(() => {});
    }
  });
});
