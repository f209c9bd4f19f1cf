import { loadavg } from 'node:os';
import { pino } from 'pino';
import { loadGatewayOptions } from '../src/config/gateway-options.js';
import type { HedgeOptions } from '../src/config/hedge-options.js';
import type { Topology } from '../src/config/topology.js';
import { createApp } from '../src/server/create-app.js';
import { openShards } from '../src/repository/open-shards.js';
import { cleanUpSync } from '../testkit/cleanup-at-exit.js';
import { startThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { prepareData } from './bench-cluster.js';
import { StragglerProxy } from './straggler-proxy.js';
import { HEDGE_BURST } from '../src/sharding/hedge-budget.js';

/*
 * `npm run bench -- --straggler`: what hedged reads do for the tail. Each
 * shard has a primary and two replicas; one replica per shard sits behind a
 * proxy that, when straggling, holds back 5% of its answers by 200 ms.
 * Point reads (EVENTUAL, so they go to the replicas) are measured calm, with
 * the straggler and no hedging (budget 0), and with the straggler and
 * hedging (auto delay; and a fixed 10 ms), each with a fresh gateway in this
 * process, after one unreported round that warms the JIT. Prints p50/p99,
 * the hedges sent, and the targets.
 */

const SHARDS = 3;
const SHARE = 0.05;
const DELAY_MS = 200;

interface Variant {
  readonly name: string;
  readonly straggling: boolean;
  readonly hedge: HedgeOptions;
}

const VARIANTS: readonly Variant[] = [
  { name: 'calm (no straggler, no hedging)', straggling: false, hedge: { afterMs: 'auto', budgetPercent: 0 } },
  { name: 'straggler, no hedging (budget 0)', straggling: true, hedge: { afterMs: 'auto', budgetPercent: 0 } },
  { name: 'straggler, hedging (auto, 5%)', straggling: true, hedge: { afterMs: 'auto', budgetPercent: 5 } },
  { name: 'straggler, hedging (10 ms, 5%)', straggling: true, hedge: { afterMs: 10, budgetPercent: 5 } },
];

export interface StragglerRow {
  readonly variant: string;
  readonly requests: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
  readonly hedges: number;
  readonly hedgesWon: number;
}

export async function runStragglerBench(argv: readonly string[]): Promise<StragglerRow[]> {
  const seconds = numberArg(argv, '--duration', 10);
  const connections = numberArg(argv, '--connections', 8);
  const users = numberArg(argv, '--users', 3000);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(
    `straggler bench: ${SHARDS} shards x (primary + 2 replicas, one behind a proxy holding ${SHARE * 100}% of answers by ${DELAY_MS} ms)`,
  );
  log(`${seconds} s per variant, ${connections} concurrent readers, load average at start ${loadavg()[0]!.toFixed(2)}`);
  const cluster = await startThrowawayCluster({ name: 'bench-straggler', shards: SHARDS, replicas: 2 });
  const proxies: StragglerProxy[] = [];
  try {
    await prepareData(cluster, users);
    const topology = structuredClone(cluster.topology) as Topology;
    for (const shard of topology.shards) {
      const proxy = await StragglerProxy.start(shard.replicas[0]!.port, SHARE, DELAY_MS);
      proxies.push(proxy);
      (shard.replicas[0] as { port: number }).port = proxy.port;
    }
    // The first gateway of the process runs on cold code: warm it on an unreported calm round.
    for (const p of proxies) p.straggling = false;
    await measure(topology, VARIANTS[0]!, Math.min(3, seconds), connections, users);
    const rows: StragglerRow[] = [];
    for (const variant of VARIANTS) {
      for (const p of proxies) p.straggling = variant.straggling;
      rows.push(await measure(topology, variant, seconds, connections, users));
      log(formatRow(rows.at(-1)!));
    }
    return rows;
  } finally {
    for (const p of proxies) await p.close();
    await cluster.destroy();
  }
}

async function measure(topology: Topology, variant: Variant, seconds: number, connections: number, users: number): Promise<StragglerRow> {
  const options = { ...loadGatewayOptions({}), hedge: variant.hedge };
  let hedges = 0;
  let hedgesWon = 0;
  const shards = openShards(topology, options, {
    observers: [
      {
        onStart: () => undefined,
        onHedge: (_shard, outcome) => {
          hedges++;
          if (outcome === 'won') hedgesWon++;
        },
      },
    ],
  });
  await shards.health.start();
  const app = createApp({ shards, logger: pino({ level: 'silent' }), request: options.request, safety: options.safety });
  const read = async () => {
    const id = `user-${1 + Math.floor(Math.random() * users)}`;
    const response = await app.fetch('http://bench/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ user(userId: "${id}") { userId } }` }),
    });
    const body = (await response.json()) as { errors?: unknown };
    return body.errors === undefined;
  };
  try {
    // Warm-up: pools open, prepared statements, and the latency rings fill.
    const warmUntil = Date.now() + 2_000;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (Date.now() < warmUntil) await read();
      }),
    );
    hedges = 0;
    hedgesWon = 0;
    const latencies: number[] = [];
    let errors = 0;
    const until = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (Date.now() < until) {
          const started = performance.now();
          const ok = await read();
          latencies.push(performance.now() - started);
          if (!ok) errors++;
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? Number.NaN;
    return { variant: variant.name, requests: latencies.length, errors, p50: at(0.5), p99: at(0.99), hedges, hedgesWon };
  } finally {
    await app.dispose();
    await shards.close();
  }
}

export function formatRow(r: StragglerRow): string {
  const share = r.requests > 0 ? ((100 * r.hedges) / r.requests).toFixed(1) : '0';
  return `${r.variant.padEnd(34)} requests ${String(r.requests).padStart(6)}  errors ${r.errors}  p50 ${r.p50.toFixed(1).padStart(6)} ms  p99 ${r.p99.toFixed(1).padStart(6)} ms  hedges ${r.hedges} (${share}% of reads, ${r.hedgesWon} won)`;
}

/** The targets: hedging brings the p99 back within 1.5x of calm; without it the straggler shows; hedges stay within the budget. */
export function stragglerTargets(rows: readonly StragglerRow[]): string[] {
  const [calm, bare, auto, fixed] = rows;
  if (!calm || !bare || !auto || !fixed) return [];
  const mark = (met: boolean) => (met ? '✓' : '✗');
  const within = (r: StragglerRow) => `${r.p99.toFixed(1)} ms ≤ ${(1.5 * calm.p99).toFixed(1)} ms ${mark(r.p99 <= 1.5 * calm.p99)}`;
  const budget = (r: StragglerRow) =>
    `${r.hedges} ≤ ${Math.floor(0.05 * r.requests) + HEDGE_BURST} ${mark(r.hedges <= 0.05 * r.requests + HEDGE_BURST)}`;
  return [
    `target: p99 with hedging (auto) within 1.5x of calm: ${within(auto)}`,
    `        p99 with hedging (10 ms) within 1.5x of calm: ${within(fixed)}`,
    `target: the straggler shows without hedging, p99 ≥ 150 ms: ${bare.p99.toFixed(1)} ms ${mark(bare.p99 >= 150)}`,
    `target: hedges within the budget (5% of reads + a burst of ${HEDGE_BURST}): auto ${budget(auto)}, 10 ms ${budget(fixed)}`,
  ];
}

function numberArg(argv: readonly string[], name: string, fallback: number): number {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name}: expected a positive number, got ${JSON.stringify(argv[i + 1])}`);
  return value;
}

export async function stragglerMain(argv: readonly string[]): Promise<number> {
  try {
    const rows = await runStragglerBench(argv);
    process.stdout.write(`\n${rows.map(formatRow).join('\n')}\n\n${stragglerTargets(rows).join('\n')}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`straggler bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  } finally {
    cleanUpSync();
  }
}
