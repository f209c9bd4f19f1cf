import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTopologyFile } from '../src/config/load-topology.js';
import { migrateAll } from '../src/repository/migrations.js';
import { createApp, type App } from '../src/server/create-app.js';
import { openShards, type Shards } from '../src/repository/open-shards.js';
import { eventually, testGatewayOptions } from './support/gateway-fixture.js';
import { emailBesideUser } from './support/email-on-shard.js';
import { postJson, send } from './support/hostile-client.js';
import { StatementRecorder } from '../testkit/statement-recorder.js';
import { useSharedDatabase } from './support/use-shared-database.js';

// One connection per node and one waiting statement: easy to fill on purpose.
let shards: Shards;
let app: App;
const recorder = new StatementRecorder();
const logged: any[] = [];

beforeAll(async () => {
  const db = await useSharedDatabase('overload');
  const base = testGatewayOptions();
  const options = { ...base, pool: { ...base.pool, max: 1, queueMax: 1, connectTimeoutMs: 1500 } };
  shards = openShards(loadTopologyFile(db.topologyPath), options, { observers: [recorder] });
  await migrateAll(shards.db);
  await shards.health.start();
  const logger = pino({ level: 'info' }, { write: (line: string) => logged.push(JSON.parse(line)) });
  app = createApp({ shards, logger, safety: options.safety });
});
afterAll(async () => {
  await app?.dispose();
  await shards?.close();
});

/** A userId that lives on `shardId`. */
function userOn(shardId: number, prefix: string): string {
  for (let i = 0; ; i++) if (shards.manager.shardIdOf(`${prefix}-${i}`) === shardId) return `${prefix}-${i}`;
}

/** Holds shard 2's only primary connection until the returned function is called. */
async function holdPrimary(): Promise<{ release: () => Promise<void> }> {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const held = shards.db.transaction(2, () => gate);
  await eventually(
    () => shards.db.poolStats().some((s) => s.node.id === shards.manager.shard(2).primary.id && s.active === 1),
    5000,
    'the held connection',
  );
  return {
    release: async () => {
      open();
      await held;
    },
  };
}

// The email's lookup row beside the user: every statement of a createUser goes to the user's shard.
const create = (userId: string) =>
  postJson(app, {
    query: `mutation { createUser(input: {userId: "${userId}", name: "N", email: "${emailBesideUser(userId, shards.manager.shardCount)}"}) { userId } }`,
  });

describe('pool pressure is not node failure', () => {
  it('beyond the wait queue a statement fails at once with SHARD_OVERLOADED (503, retry-after), the node stays in, /readyz stays green', async () => {
    const hold = await holdPrimary();
    try {
      const waiting = create(userOn(2, 'queued'));
      await eventually(
        () => shards.db.poolStats().some((s) => s.node.id === shards.manager.shard(2).primary.id && s.waiting === 1),
        5000,
        'one waiting statement',
      );
      recorder.reset();
      logged.length = 0;
      const shed = await create(userOn(2, 'shed'));
      // Refused at once: the first waiter is still queued (it would have timed out otherwise).
      expect(shards.db.poolStats().find((s) => s.node.id === shards.manager.shard(2).primary.id)!.waiting).toBe(1);
      expect(shed.status).toBe(503);
      expect(shed.headers.get('retry-after')).toBe('1');
      expect(shed.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'SHARD_OVERLOADED', shardId: 2 } })]);
      expect(recorder.statements).toEqual([expect.objectContaining({ nodeId: shards.manager.shard(2).primary.id, outcome: 'overloaded' })]);
      expect(logged.filter((l) => l.msg === 'request shed: shards overloaded')).toHaveLength(1);
      expect(shards.manager.isServable(shards.manager.shard(2).primary)).toBe(true);
      expect((await send(app, { url: 'http://gateway.test/readyz' })).status).toBe(200);
      await hold.release();
      expect((await waiting).body.data.createUser.userId).toMatch(/^queued-/);
    } finally {
      await hold.release();
    }
  });

  it('a statement that waits longer than the connect timeout fails with SHARD_OVERLOADED and ejects nothing', async () => {
    const hold = await holdPrimary();
    try {
      const r = await create(userOn(2, 'slow'));
      expect(r.status).toBe(503);
      expect(r.body.errors[0].extensions).toEqual({ code: 'SHARD_OVERLOADED', shardId: 2 });
      // Test options eject after one failure: a wait counted as a failure would show here.
      expect(shards.manager.healthOf(shards.manager.shard(2).primary).status).not.toBe('ejected');
      expect((await send(app, { url: 'http://gateway.test/readyz' })).status).toBe(200);
    } finally {
      await hold.release();
    }
    const after = await create(userOn(2, 'after'));
    expect(after.body.data.createUser.userId).toMatch(/^after-/);
  });

  it('a read on another shard is not affected by one overloaded shard', async () => {
    const hold = await holdPrimary();
    try {
      const r = await postJson(app, { query: `{ user(userId: "${userOn(0, 'other')}", consistency: STRONG) { userId } }` });
      expect(r.body).toEqual({ data: { user: null } });
    } finally {
      await hold.release();
    }
  });
});
