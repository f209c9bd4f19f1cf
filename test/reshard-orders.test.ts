import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolOptions } from '../src/cli/reshard-command.js';
import { seedDemoOrders } from '../src/cli/seed-demo-orders.js';
import { demoUser, seedDemoUsers } from '../src/cli/seed-demo-users.js';
import { loadGatewayOptions } from '../src/config/gateway-options.js';
import { loadTopologyFile } from '../src/config/load-topology.js';
import { readTopologyDocument, recordableTopology } from '../src/config/recorded-topology.js';
import { migrateAll } from '../src/repository/migrations.js';
import { runReshard } from '../src/reshard/run-reshard.js';
import { openShards } from '../src/repository/open-shards.js';
import { startGateway, type RunningGateway } from '../src/server/start-gateway.js';
import { shardIdFor } from '../src/sharding/shard-id-for.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { eventually, testGatewayOptions } from './support/gateway-fixture.js';
import { reshardModules } from '../src/modules/builtin-modules.js';

/*
 * Resharding moves each user with its orders (the entity group): copied,
 * caught up and verified per table; a difference in orders aborts the
 * cutover; under a load of order writes and reads, nothing fails, nothing is
 * lost or doubled, and every order ends on its user's shard.
 */

const USERS = 600;

interface Primary {
  host: string;
  port: number;
  user: string;
  dbname: string;
}

async function sql<R extends object = Record<string, unknown>>(node: Primary, text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ host: node.host, port: node.port, user: node.user, database: node.dbname });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}

let cluster: ThrowawayCluster;
let dir: string;
let toPath: string;
let primaries: Primary[];

beforeAll(async () => {
  cluster = await startThrowawayCluster({ shards: 3, replicas: 1, name: 'reshard-orders' });
  dir = await mkdtemp(join(tmpdir(), 'shardgate-reshard-orders-'));
  const from = cluster.topology as unknown as { shards: { primary: Primary }[] };
  primaries = from.shards.map((s) => s.primary);
  toPath = join(dir, 'to.json');
  await writeFile(toPath, JSON.stringify({ shards: (cluster.topology as any).shards.slice(0, 2) }, null, 2));
  const shards = openShards(loadTopologyFile(cluster.topologyPath), testGatewayOptions());
  try {
    await migrateAll(shards.db);
    await seedDemoUsers(shards.users, 3, USERS);
    await seedDemoOrders(shards.door, 3, USERS);
  } finally {
    await shards.close();
  }
}, 300_000);

afterAll(async () => {
  await cluster?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A run in this process; `log` sees each line as it comes (a throw there stops the run, as an interrupted command would). */
function reshard(log: (line: string) => void) {
  return runReshard({
    from: loadTopologyFile(cluster.topologyPath),
    to: loadTopologyFile(toPath),
    recordedTo: recordableTopology(readTopologyDocument(toPath)),
    dryRun: false,
    gatewayOptions: toolOptions(loadGatewayOptions({})),
    log,
    batchSize: 100,
    // The built-in modules' tables (orders) move with their owners.
    modules: reshardModules(),
    cleanupDelayMs: 1000,
  });
}

class Interrupted extends Error {}

async function startGatewayFor(topologyPath: string): Promise<RunningGateway> {
  const base = testGatewayOptions();
  return startGateway({
    topology: loadTopologyFile(topologyPath),
    options: { ...base, pool: { ...base.pool, max: 10, connectTimeoutMs: 5000, statementTimeoutMs: 15_000 } },
    logger: pino({ level: 'silent' }),
    port: 0,
    host: '127.0.0.1',
  });
}

/** Clients that create orders, move them PENDING → PAID, and read users with their orders; every failure is kept. */
function startOrderLoad(url: string, clients: number, untouched: string) {
  const failures: string[] = [];
  /** order id → its last acknowledged status. */
  const acknowledged = new Map<string, { userId: string; status: string }>();
  let requests = 0;
  let stopping = false;
  const gql = async (query: string, variables: Record<string, unknown>) => {
    requests++;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30_000),
    });
    return (await response.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
  };
  const loops = Array.from({ length: clients }, async (_, c) => {
    for (let i = 0; !stopping && i < 100_000; i++) {
      const pick = (c * 7919 + i * 31) % USERS;
      let userId = demoUser(pick + 1).userId;
      if (userId === untouched) userId = demoUser(((pick + 1) % USERS) + 1).userId;
      try {
        const made = await gql('mutation($u: ID!) { createOrder(input: { userId: $u, totalCents: 100, currency: "EUR" }) { id } }', {
          u: userId,
        });
        if (made.errors) throw new Error(`create: ${JSON.stringify(made.errors)}`);
        const id = made.data.createOrder.id;
        acknowledged.set(id, { userId, status: 'PENDING' });
        const paid = await gql('mutation($id: ID!) { updateOrderStatus(id: $id, status: PAID) { status } }', { id });
        if (paid.errors) throw new Error(`pay: ${JSON.stringify(paid.errors)}`);
        acknowledged.set(id, { userId, status: 'PAID' });
        const read = await gql(
          'query($u: ID!) { user(userId: $u, consistency: STRONG) { userId shardId orders(first: 100) { edges { node { id shardId } } } } }',
          { u: userId },
        );
        if (read.errors) throw new Error(`read: ${JSON.stringify(read.errors)}`);
        // A user and its orders come from one shard.
        for (const e of read.data.user.orders.edges)
          if (e.node.shardId !== read.data.user.shardId) throw new Error(`split group ${userId}`);
      } catch (err) {
        failures.push(`${userId}: ${(err as Error).message}`);
      }
    }
  });
  return {
    failures,
    acknowledged,
    get requests() {
      return requests;
    },
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

describe('reshard 3 → 2 moves every user with its orders', () => {
  it('refuses to run when a co-located table is declared by no module given (its rows would go with their users)', async () => {
    const log: string[] = [];
    await expect(
      runReshard({
        from: loadTopologyFile(cluster.topologyPath),
        to: loadTopologyFile(toPath),
        recordedTo: recordableTopology(readTopologyDocument(toPath)),
        dryRun: true,
        gatewayOptions: toolOptions(loadGatewayOptions({})),
        log: (line) => log.push(line),
      }),
    ).rejects.toThrow(/table\(s\) orders hold rows owned by users but no module given declares them/);
    expect(log.some((l) => l.startsWith('copy:'))).toBe(false);
  });

  it('a tampered order aborts the cutover; the rerun under load moves the groups, none lost, doubled or split', async () => {
    // A user that moves from the leaving shard 2, with demo orders. The load leaves it alone: a write of its own would be
    // captured and its group copied again by the catch-up, which would rightly repair the tampered copy below.
    const mover = Array.from({ length: USERS }, (_, i) => demoUser(i + 1).userId).find(
      (id, i) => shardIdFor(id, 3) === 2 && (i + 1) % 4 !== 0,
    )!;
    const target = primaries[shardIdFor(mover, 2)]!;
    const gateway = await startGatewayFor(cluster.topologyPath);
    const load = startOrderLoad(gateway.url.replace('localhost', '127.0.0.1'), 3, mover);
    try {
      await eventually(() => load.acknowledged.size >= 10, 60_000, 'the load to get going');
      // 1. Stopped once the copy is done (every moving group copied once), at its first catch-up round.
      const first: string[] = [];
      await expect(
        reshard((line) => {
          first.push(line);
          if (line.startsWith('catch-up: round')) throw new Interrupted('stopped after the copy');
        }),
      ).rejects.toBeInstanceOf(Interrupted);
      const copiedOrders = await sql<{ n: string }>(target, 'SELECT count(*) AS n FROM orders WHERE user_id = $1', [mover]);
      expect(Number(copiedOrders[0]!.n), first.join('\n')).toBeGreaterThan(0);
      // 2. The mover's copied orders changed on the new shard behind the tool's back, by a DBA's session past the layout
      // guard, before the resumed run: nothing on the old shard changed, so nothing copies the group again, and the
      // verification must find the difference in orders alone (the users match).
      await sql(
        target,
        `SET application_name = 'shardgate-reshard'; UPDATE orders SET total_cents = total_cents + 1 WHERE user_id = '${mover}'`,
      );
      const log: string[] = [];
      await expect(reshard((line) => log.push(line))).rejects.toThrow(/cutover aborted: 1 user\(s\) differ/);
      const text = log.join('\n');
      expect(text).toMatch(/resuming job \w+ at phase "copied"/);
      expect(text).toMatch(/verify: new shard \d: \d+ orders, checksum [0-9a-f]{32}; expected \d+ orders, checksum [0-9a-f]{32}: MISMATCH/);
      expect(text).not.toMatch(/\d+ users, checksum [0-9a-f]{32}; expected/);
      expect(text).toContain(`user ${JSON.stringify(mover)} differs`);
      expect(gateway.shards.manager.shardCount).toBe(3);

      // 3. The same run again: the differing group is copied again from the old shard, verified, switched.
      const runLog: string[] = [];
      const result = await reshard((line) => runLog.push(line));
      expect(result.outcome).toBe('done');
      expect(runLog.join('\n')).toMatch(/verify: new shard 0: \d+ orders, checksum [0-9a-f]{32} = old/);
      await eventually(() => gateway.shards.manager.shardCount === 2, 30_000, 'the gateway to adopt the new layout');
      const before = load.acknowledged.size;
      await eventually(() => load.acknowledged.size >= before + 10, 60_000, 'order writes on the new layout');
    } finally {
      await load.stop();
      await gateway.close();
    }
    expect(load.failures).toEqual([]);
    // Every order on its user's shard, once; every acknowledged order there with its last acknowledged status.
    const rows = (
      await Promise.all(
        primaries
          .slice(0, 2)
          .map(async (p, db) =>
            (await sql<{ order_id: string; user_id: string; status: string }>(p, 'SELECT order_id, user_id, status FROM orders')).map(
              (r) => ({ ...r, db }),
            ),
          ),
      )
    ).flat();
    expect(rows.filter((r) => shardIdFor(r.user_id, 2) !== r.db)).toEqual([]);
    const keys = rows.map((r) => `${r.user_id}/${r.order_id}`);
    expect(new Set(keys).size).toBe(keys.length);
    const demoCount = Array.from({ length: USERS }, (_, i) => (i + 1) % 4).reduce((a, b) => a + b, 0);
    expect(rows.length).toBe(demoCount + load.acknowledged.size);
    const { decodeOrderId } = await import('../src/modules/orders/order-id.js');
    const byKey = new Map(rows.map((r) => [`${r.user_id}/${r.order_id}`, r.status]));
    const lost = [...load.acknowledged].filter(([id, a]) => {
      const key = decodeOrderId(id)!;
      return byKey.get(`${key.userId}/${key.orderId}`) !== a.status;
    });
    expect(lost).toEqual([]);
    // No order outlives its user, and the retired shard holds none.
    for (const p of primaries.slice(0, 2)) {
      expect(await sql(p, 'SELECT 1 FROM orders o WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = o.user_id)')).toEqual([]);
    }
    expect(await sql(primaries[2]!, 'SELECT 1 FROM orders')).toEqual([]);
    console.log(
      `[reshard orders 3→2] ${load.requests} requests, ${load.acknowledged.size} orders written under load, ${rows.length} orders after`,
    );
    // Three runs under load and a six-node cluster on a shared machine: bounded generously, not by the default timeout.
  }, 600_000);
});
