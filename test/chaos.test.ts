import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePortRange } from '../testkit/free-port-range.js';
import type { Topology } from '../src/config/topology.js';
import { shardIdFor } from '../src/sharding/shard-id-for.js';
import { startMixedLoad, type LoadResult } from './support/mixed-load.js';
import { failNode, type NodeFault } from './support/node-faults.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { eventually, sleep } from '../testkit/eventually.js';
import { seededRandom, seedFrom } from '../testkit/seeded-random.js';
import { withDirectSession } from '../testkit/pg-session.js';

/*
 * Chaos under concurrent mixed load: every way a connection to PostgreSQL
 * goes away — a node stopped, crashed or killed, its backends terminated, the
 * network cut or black-holed — while 8 clients write, read and page over all
 * shards through a real `shardgate serve` process. For every fault:
 *   - the gateway process never dies and /healthz answers throughout;
 *   - failures name only the shard at fault, are SHARD_UNAVAILABLE, and are
 *     bounded (a dead replica costs no error at all; a dead primary fails only
 *     that shard's writes);
 *   - service returns by itself once the fault is repaired;
 *   - every acknowledged write is stored afterwards, exactly once, on its shard.
 * Fault timing is randomised and CHAOS_ROUNDS repeats the battery, so races
 * get their chance to show. The randomness is seeded: the run prints its
 * seed, and CHAOS_SEED=<seed> replays the same fault schedule and request
 * mix (the interleaving of concurrent clients with the server is still the
 * machine's).
 */

const SHARDS = 3;
const CLIENTS = 8;
const ROUNDS = Math.max(1, Number(process.env.CHAOS_ROUNDS ?? 1));
const STATEMENT_TIMEOUT_MS = 2000;
const SEED = seedFrom(process.env, 'CHAOS_SEED');
const random = seededRandom(SEED);
console.log(`[chaos] seed ${SEED} (replay with CHAOS_SEED=${SEED})`);
/** A pause of `min` ms plus up to `spread` more, from the seeded source. */
const jitter = (min: number, spread: number) => sleep(min + Math.floor(random() * spread));

type Role = 'primary' | 'replica';

interface ChaosCase {
  readonly name: string;
  /** Shards whose requests may fail. */
  readonly faulty: readonly number[];
  /** Operations that may fail (reads survive a replica's death: they are retried on the primary). */
  readonly mayFail: readonly LoadResult['op'][];
  /** At most this many failed requests. */
  readonly maxFailures: number;
  inject(): Promise<void>;
  /** Undo the fault (restart the node, reconnect the network). */
  repair(): Promise<void>;
}

let cluster: ThrowawayCluster;
let topology: Topology;
const proxies = new Map<string, TcpProxy>();
let gateway: ChildProcess;
let gatewayLog = '';
let url = '';
let exitedWith: string | null = null;

const proxyOf = (shardId: number, role: Role) => proxies.get(`${shardId}/${role}`)!;

beforeAll(async () => {
  cluster = await startThrowawayCluster({ shards: SHARDS, replicas: 1 });
  topology = cluster.topology as Topology;
  // Every node is reached through a proxy, so any of them can be cut or stalled.
  const proxied = structuredClone(cluster.topology) as unknown as { shards: { primary: { port: number }; replicas: { port: number }[] }[] };
  for (const [shardId, shard] of topology.shards.entries()) {
    const primary = await TcpProxy.start(shard.primary.port);
    const replica = await TcpProxy.start(shard.replicas[0]!.port);
    proxies.set(`${shardId}/primary`, primary);
    proxies.set(`${shardId}/replica`, replica);
    proxied.shards[shardId]!.primary.port = primary.port;
    proxied.shards[shardId]!.replicas[0]!.port = replica.port;
  }
  const topologyPath = join(cluster.dir, 'proxied-topology.json');
  await writeFile(topologyPath, JSON.stringify(proxied));

  const port = await findFreePortRange(1);
  url = `http://127.0.0.1:${port}`;
  gateway = spawn(
    process.execPath,
    ['bin/shardgate.js', 'serve', '--config', topologyPath, '--port', String(port), '--host', '127.0.0.1'],
    {
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        SHARDGATE_HEALTH_INTERVAL_MS: '200',
        SHARDGATE_HEALTH_TIMEOUT_MS: '1000',
        SHARDGATE_HEALTH_FAILURES_TO_EJECT: '2',
        SHARDGATE_CONNECT_TIMEOUT_MS: '1000',
        SHARDGATE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  gateway.stdout!.on('data', (d) => (gatewayLog += d));
  gateway.stderr!.on('data', (d) => (gatewayLog += d));
  gateway.on('exit', (code, signal) => (exitedWith = `code ${code}, signal ${signal}`));
  await migrate(topologyPath);
  const deadline = Date.now() + 30_000;
  while (!gatewayLog.includes('GraphiQL:')) {
    if (exitedWith !== null || Date.now() > deadline) throw new Error(`serve did not start (${exitedWith}):\n${gatewayLog}`);
    await sleep(50);
  }
}, 180_000);

afterAll(async () => {
  if (gateway && gateway.exitCode === null) gateway.kill('SIGKILL');
  await Promise.all([...proxies.values()].map((p) => p.close()));
  await cluster?.destroy();
});

async function migrate(topologyPath: string): Promise<void> {
  const child = spawn(process.execPath, ['bin/shardgate.js', 'migrate', '--config', topologyPath], { stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`migrate exited ${code}`);
}

const nodeCases = (role: Role, shardId: number, fault: NodeFault): ChaosCase => ({
  name: `${role} of shard ${shardId}: ${fault}`,
  faulty: [shardId],
  // A replica's death is absorbed: reads move to the primary. A primary's
  // death fails that shard's writes until it is back; its reads go on from the replica.
  mayFail: role === 'replica' ? ['read', 'byIds', 'page'] : ['create'],
  maxFailures: role === 'replica' ? CLIENTS : 10_000,
  inject: () => failNode(cluster.dir, shardId, role, fault),
  repair: () => cluster.startNode(shardId, role),
});

const CASES: ChaosCase[] = [
  nodeCases('replica', 0, 'stop-immediate'),
  nodeCases('replica', 1, 'stop-fast'),
  nodeCases('replica', 2, 'kill-9'),
  nodeCases('primary', 0, 'stop-immediate'),
  nodeCases('primary', 1, 'stop-fast'),
  nodeCases('primary', 2, 'kill-9'),
  {
    name: 'pg_terminate_backend of every gateway connection on every node, three times',
    faulty: [0, 1, 2],
    mayFail: ['create', 'read', 'byIds', 'page'],
    // At most the statements in flight at each of the three terminations.
    maxFailures: 3 * CLIENTS,
    async inject() {
      for (let i = 0; i < 3; i++) {
        await Promise.all(topology.shards.flatMap((s) => [s.primary, s.replicas[0]!]).map((node) => terminateGatewayBackends(node.port)));
        await jitter(100, 300);
      }
    },
    async repair() {},
  },
  {
    name: 'network to the primary of shard 1 cut mid-stream',
    faulty: [1],
    mayFail: ['create'],
    maxFailures: CLIENTS,
    async inject() {
      proxyOf(1, 'primary').cut();
    },
    async repair() {},
  },
  {
    name: 'network to the replica of shard 0 cut mid-stream',
    faulty: [0],
    mayFail: ['read', 'byIds', 'page'],
    maxFailures: CLIENTS,
    async inject() {
      proxyOf(0, 'replica').cut();
    },
    async repair() {},
  },
  {
    name: 'network to the primary of shard 2 stalls (no close), then comes back',
    faulty: [2],
    mayFail: ['create'],
    maxFailures: 10_000,
    async inject() {
      proxyOf(2, 'primary').stall();
    },
    async repair() {
      // Connections that sat through the stall are dead to the gateway (it timed them out); drop them, as the peer would.
      proxyOf(2, 'primary').cut();
      proxyOf(2, 'primary').resume();
    },
  },
  {
    name: 'network to the replica of shard 1 stalls (no close), then comes back',
    faulty: [1],
    mayFail: ['read', 'byIds', 'page'],
    maxFailures: 2 * CLIENTS,
    async inject() {
      proxyOf(1, 'replica').stall();
    },
    async repair() {
      proxyOf(1, 'replica').cut();
      proxyOf(1, 'replica').resume();
    },
  },
];

describe.sequential('chaos: faults under concurrent mixed load never take the gateway down', () => {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [index, chaos] of CASES.entries()) {
      it(`${ROUNDS > 1 ? `round ${round}: ` : ''}${chaos.name}`, async () => {
        await runCase(chaos, `chaos-r${round}-c${index}`);
      });
    }
  }
});

async function runCase(chaos: ChaosCase, idPrefix: string): Promise<void> {
  expect(exitedWith, gatewayLog).toBeNull();
  const health = pollHealthz();
  const load = startMixedLoad({ url, shardCount: SHARDS, clients: CLIENTS, idPrefix, random });
  let cleanFrom = Infinity;
  try {
    // The fault strikes a load in full swing, at a random moment of it.
    await eventually(() => load.results.filter((r) => r.ok).length >= CLIENTS, 30_000, 'the load to get going');
    await jitter(0, 700);
    const injectedAt = Date.now();
    await chaos.inject();
    // How long the fault lasts.
    await jitter(500, 1500);
    await chaos.repair();
    await waitUntilServing(chaos.faulty, idPrefix);
    // Requests sent from here on must all succeed: the fault is over and the gateway knows it.
    cleanFrom = Date.now();
    const answeredSinceClean = () => load.results.filter((r) => r.startedAt >= cleanFrom).length;
    await eventually(() => answeredSinceClean() >= 4 * CLIENTS, 30_000, 'requests answered after the repair');
    const failed = load.results.filter((r) => !r.ok);
    const summary = `[seed ${SEED}] ${chaos.name}: ${load.results.length} requests, ${failed.length} failed, first failure ${
      failed.length ? failed[0]!.at - injectedAt : '-'
    } ms after the fault; ops failed: ${JSON.stringify(countBy(failed, (r) => r.op))}`;
    console.log(summary);
  } finally {
    await load.stop();
    await health.stop();
  }

  expect(exitedWith, `the gateway died:\n${gatewayLog}`).toBeNull();
  expect(health.failures, `/healthz did not answer: ${health.failures.join('; ')}`).toEqual([]);
  expect(health.answered).toBeGreaterThan(10);

  const failed = load.results.filter((r) => !r.ok);
  expect(
    failed.filter((r) => r.transportError),
    'the gateway left a request unanswered',
  ).toEqual([]);
  for (const r of failed) {
    expect(chaos.mayFail, `${r.op} failed: ${JSON.stringify(r.errors)}`).toContain(r.op);
    for (const e of r.errors) {
      expect(e.code, e.message).toBe('SHARD_UNAVAILABLE');
      expect(chaos.faulty, e.message).toContain(e.shardId);
    }
  }
  expect(failed.length, `failures: ${JSON.stringify(failed.slice(0, 5))}`).toBeLessThanOrEqual(chaos.maxFailures);
  expect(
    failed.filter((r) => r.startedAt >= cleanFrom),
    'requests failed after the fault was repaired',
  ).toEqual([]);
  expect(load.results.filter((r) => r.ok && r.op === 'create').length).toBeGreaterThan(0);

  await expectStoredExactlyOnce(load.acknowledged, idPrefix);
}

/** Polls /healthz every 100 ms; every poll must be answered 200 within 2 s. */
function pollHealthz() {
  const failures: string[] = [];
  let answered = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
        if (response.status === 200) answered++;
        else failures.push(`status ${response.status}`);
        await response.arrayBuffer();
      } catch (err) {
        failures.push(String(err));
      }
      await sleep(100);
    }
  })();
  return {
    failures,
    get answered() {
      return answered;
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** Until a write and a primary read of every faulty shard succeed (bounded). */
async function waitUntilServing(shards: readonly number[], idPrefix: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let attempt = 0;
  for (const shardId of shards) {
    let userId = '';
    do userId = `${idPrefix}-probe-${attempt++}`;
    while (shardIdFor(userId, SHARDS) !== shardId);
    for (;;) {
      const body = await gql(`mutation { createUser(input: { userId: "${userId}", name: "Probe", email: "p@example.com" }) { userId } }`);
      const exists = body.errors?.[0]?.extensions?.code === 'USER_ALREADY_EXISTS';
      if (!body.errors || exists) {
        const read = await gql(`{ user(userId: "${userId}", consistency: STRONG) { userId } }`);
        if (!read.errors && read.data?.user?.userId === userId) break;
      }
      if (Date.now() > deadline)
        throw new Error(`shard ${shardId} did not come back: ${JSON.stringify(body.errors)}\n${gatewayLog.slice(-3000)}`);
      await sleep(100);
    }
  }
}

async function gql(query: string): Promise<{ data?: any; errors?: { extensions?: Record<string, unknown> }[] }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(10_000),
  });
  return (await response.json()) as { data?: any; errors?: { extensions?: Record<string, unknown> }[] };
}

/** Every acknowledged userId is stored exactly once over all shards, on the shard it hashes to. */
async function expectStoredExactlyOnce(acknowledged: readonly string[], idPrefix: string): Promise<void> {
  const seen = new Map<string, number[]>();
  for (const [shardId, shard] of topology.shards.entries()) {
    const rows = await onNode(shard.primary.port, (c) =>
      c.query<{ user_id: string }>('SELECT user_id FROM users WHERE user_id LIKE $1', [`${idPrefix}-%`]),
    );
    for (const { user_id } of rows.rows) seen.set(user_id, [...(seen.get(user_id) ?? []), shardId]);
  }
  const wrong = acknowledged.filter((id) => {
    const where = seen.get(id) ?? [];
    return where.length !== 1 || where[0] !== shardIdFor(id, SHARDS);
  });
  expect(wrong.map((id) => `${id} on ${JSON.stringify(seen.get(id) ?? [])}`)).toEqual([]);
}

async function terminateGatewayBackends(port: number): Promise<void> {
  await onNode(port, (c) =>
    c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'shardgate%' AND pid <> pg_backend_pid()`),
  ).catch(() => {});
}

function onNode<T>(port: number, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withDirectSession({ port, dbname: 'shardgate' }, fn);
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}
