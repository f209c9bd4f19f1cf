import pg from 'pg';
import { pino } from 'pino';
import { loadGatewayOptions, type GatewayOptions } from '../src/config/gateway-options.js';
import { migrateAll } from '../src/repository/migrations.js';
import { createRequestScope } from '../src/repository/request-scope.js';
import type { StatementEvent, StatementObserver } from '../src/repository/statement-observer.js';
import { createApp, type App } from '../src/server/create-app.js';
import { openShards, type Shards } from '../src/repository/open-shards.js';
import { ConsistencySession } from '../src/sharding/consistency-session.js';
import { startThrowawayCluster } from '../testkit/throwaway-cluster.js';

/*
 * Scenario "write then read with token": clients write through one gateway
 * and read what they wrote through another, carrying the consistency token,
 * while every replica applies WAL `lagMs` late (recovery_min_apply_delay).
 * Reports misses (must be 0), how the token reads were served at each
 * consistency wait, and what recording the token costs createUser
 * (the door with and without the WAL position behind each write, interleaved).
 *
 *   npm run bench:token -- [--seconds 5] [--concurrency 8] [--lag-ms 20]
 */

const TOKEN = 'shardgate-consistency-token';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name}: expected a number`);
  return value;
}

/** Counts token reads by how they were served. */
class ServedBy implements StatementObserver {
  readonly counts = new Map<string, number>();
  onStart(event: StatementEvent) {
    return (outcome: { outcome: string }) => {
      if (outcome.outcome === 'ok' && event.target.reason.startsWith('token-')) {
        this.counts.set(event.target.reason, (this.counts.get(event.target.reason) ?? 0) + 1);
      }
    };
  }
}

interface Gateway {
  shards: Shards;
  app: App;
}

function openGateway(topology: Parameters<typeof openShards>[0], options: GatewayOptions, observer?: StatementObserver): Gateway {
  const shards = openShards(topology, options, observer ? { observers: [observer] } : {});
  return { shards, app: createApp({ shards, logger: pino({ level: 'silent' }), request: options.request }) };
}

async function gql(app: App, query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await app.fetch('http://bench/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors).slice(0, 300));
  return { data: body.data, token: response.headers.get(TOKEN) };
}

/** `concurrency` loops of `step` for `seconds`; returns how many steps completed. */
async function runFor(seconds: number, concurrency: number, step: (seq: number) => Promise<void>): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let seq = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        await step(seq++);
        done++;
      }
    }),
  );
  return done;
}

async function main(): Promise<void> {
  const seconds = flag('seconds', 5);
  const concurrency = flag('concurrency', 8);
  const lagMs = flag('lag-ms', 20);
  const cluster = await startThrowawayCluster({ name: 'bench-token', shards: 3, replicas: 1 });
  const gateways: Gateway[] = [];
  try {
    const base = loadGatewayOptions({});
    const writer = openGateway(cluster.topology, base);
    gateways.push(writer);
    await migrateAll(writer.shards.db);
    for (const shard of cluster.topology.shards) {
      for (const replica of shard.replicas) {
        const client = new pg.Client({ host: replica.host, port: replica.port, user: replica.user, database: 'postgres' });
        await client.connect();
        await client.query(`ALTER SYSTEM SET recovery_min_apply_delay = '${lagMs}ms'`);
        await client.query('SELECT pg_reload_conf()');
        await client.end();
      }
    }
    await new Promise((r) => setTimeout(r, 1_000));
    const create = 'mutation ($input: CreateUserInput!) { createUser(input: $input) { userId } }';
    const read = 'query ($userId: ID!) { user(userId: $userId) { userId } }';
    console.log(`write then read with token: ${concurrency} clients, ${seconds} s per wait, replicas ${lagMs} ms behind`);
    for (const waitMs of [0, 50]) {
      const served = new ServedBy();
      const options = { ...base, request: { ...base.request, consistencyWaitMs: waitMs } };
      const reader = openGateway(cluster.topology, options, served);
      gateways.push(reader);
      await reader.shards.health.start();
      let misses = 0;
      const pairs = await runFor(seconds, concurrency, async (seq) => {
        const userId = `tok-${waitMs}-${seq}`;
        const { token } = await gql(writer.app, create, { input: { userId, name: 'T', email: `${userId}@example.com` } });
        const { data } = await gql(reader.app, read, { userId }, { [TOKEN]: token! });
        if (data.user?.userId !== userId) misses++;
      });
      const total = [...served.counts.values()].reduce((a, b) => a + b, 0);
      const share = (reason: string) => `${(((served.counts.get(reason) ?? 0) / total) * 100).toFixed(1)}%`;
      console.log(
        `  wait ${String(waitMs).padStart(2)} ms: ${pairs} write+read pairs, ${misses} misses; served by replica ${share('token-replica')}, ` +
          `replica after wait ${share('token-replica-after-wait')}, primary ${share('token-primary')}`,
      );
    }
    // The cost of tokens on a write: the same createUser at the door, with and without the WAL position behind it.
    const rounds = 3;
    const rates = { with: [] as number[], without: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      for (const mode of ['with', 'without'] as const) {
        const n = await runFor(seconds, concurrency, async (seq) => {
          const userId = `cost-${mode}-${round}-${seq}`;
          // Both modes carry a request scope (one statement each); only `with` has a session that records positions.
          const scope = createRequestScope(userId, 1, mode === 'with' ? { consistency: new ConsistencySession([], 0) } : {});
          await writer.shards.users.forRequest(scope).create({ userId, name: 'C', email: `${userId}@example.com` });
        });
        rates[mode].push(n / seconds);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const withToken = median(rates.with);
    const without = median(rates.without);
    console.log(
      `createUser at the door, median of ${rounds} interleaved ${seconds} s rounds: ${withToken.toFixed(0)}/s with the token's WAL position, ` +
        `${without.toFixed(0)}/s without (${(((withToken - without) / without) * 100).toFixed(1)}%)`,
    );
  } finally {
    for (const g of gateways) {
      await g.app.dispose();
      await g.shards.close();
    }
    await cluster.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`token bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
