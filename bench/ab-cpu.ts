import { Agent, request } from 'node:http';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanUpSync } from '../testkit/cleanup-at-exit.js';
import { destroyThrowawayCluster, startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { prepareData } from './bench-cluster.js';
import { graphqlBody, PAGE_QUERY } from './scenarios.js';
import { ServerProcess } from './server-process.js';
import { startOtlpSink, type OtlpSink } from './otlp-sink.js';
import { demoUser } from '../src/cli/seed-demo-users.js';

/*
 * The gateway's own CPU per request, for two (or more) builds side by side:
 * one cluster (3 shards x primary + 1 replica), one gateway per build
 * (each a checkout with `npx tsc -p bench/tsconfig.json` done), driven in
 * turn at the same fixed rate, rounds in mirrored order (A B, B A, ...), so
 * that neither saturation nor a drift of a shared machine decides the
 * verdict. CPU comes from the gateway process itself (user + system).
 *
 *   node dist-bench/bench/ab-cpu.js --builds /path/a,/path/b [--scenario point|page20]
 *     [--rate 300] [--seconds 5] [--rounds 4] [--users 3000] [--connections 8] [--profile DIR]
 *
 * With --profile, each gateway runs with --cpu-prof into DIR/<build index>.
 *
 * With --tracing, each build runs two gateways instead of one: tracing
 * off, and tracing on (OTLP over HTTP to a discarding sink, in --protocol,
 * http/protobuf by default): what tracing costs a request.
 */

const POINT = `query Point($userId: ID!) { user(userId: $userId) { userId name email createdAt } }`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      builds: { type: 'string' },
      scenario: { type: 'string', default: 'point' },
      rate: { type: 'string', default: '300' },
      seconds: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '4' },
      users: { type: 'string', default: '3000' },
      connections: { type: 'string', default: '8' },
      profile: { type: 'string' },
      tracing: { type: 'boolean', default: false },
      protocol: { type: 'string', default: 'http/protobuf' },
    },
  });
  if (!values.builds) throw new Error('--builds dirA,dirB is required');
  const builds = values.builds.split(',').map((d) => resolve(d));
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const users = Number(values.users);
  const connections = Number(values.connections);
  const bodies =
    values.scenario === 'page20'
      ? [graphqlBody(PAGE_QUERY, {})]
      : Array.from({ length: 32 }, (_, i) => graphqlBody(POINT, { userId: demoUser(1 + ((i * 97) % users)).userId }));
  let cluster: ThrowawayCluster | null = null;
  const servers: ServerProcess[] = [];
  let sink: OtlpSink | null = null;
  try {
    cluster = await startThrowawayCluster({ name: 'ab-cpu', shards: 3, replicas: 1 });
    await prepareData(cluster, users, { orders: true });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SHARDGATE_POOL_MAX: String(connections * 2),
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    };
    for (const name of Object.keys(env)) if (name.startsWith('OTEL_')) delete env[name];
    // One side per build, or two per build with --tracing.
    const sides: { label: string; dir: string; env: NodeJS.ProcessEnv }[] = [];
    if (values.tracing) sink = await startOtlpSink();
    for (const dir of builds) {
      if (!sink) {
        sides.push({ label: dir, dir, env });
        continue;
      }
      const traced = {
        ...env,
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: values.protocol,
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
      };
      sides.push({ label: `${dir} tracing off`, dir, env }, { label: `${dir} tracing on (${values.protocol})`, dir, env: traced });
    }
    for (const [i, side] of sides.entries()) {
      servers.push(
        await ServerProcess.start({
          name: `gateway ${i}`,
          script: `${side.dir}/dist-bench/bench/gateway-entry.js`,
          args: ['--config', cluster.topologyPath],
          env: side.env,
          execArgv: values.profile ? ['--cpu-prof', `--cpu-prof-dir=${resolve(values.profile, String(i))}`] : [],
        }),
      );
    }
    const labels = sides.map((s) => s.label);
    // Warm-up: every gateway, twice the round's length.
    for (const s of servers) await paced(s.port, bodies, rate, seconds * 2, connections);
    // What each gateway burns with no requests at all (health probes, timers), spread over the requests of a round below.
    for (const [i, s] of servers.entries()) {
      const before = await s.stats();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const after = await s.stats();
      const perRequest = (after.cpuMicros - before.cpuMicros) / (rate * seconds);
      process.stderr.write(
        `idle ${labels[i]}: ${((after.cpuMicros - before.cpuMicros) / seconds).toFixed(0)} µs CPU/s (${perRequest.toFixed(0)} µs per request at ${rate} req/s)\n`,
      );
    }
    const per: number[][] = servers.map(() => []);
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? servers.map((_, i) => i) : servers.map((_, i) => servers.length - 1 - i);
      for (const i of order) {
        const before = await servers[i]!.stats();
        const sent = await paced(servers[i]!.port, bodies, rate, seconds, connections);
        const after = await servers[i]!.stats();
        const us = (after.cpuMicros - before.cpuMicros) / sent.ok;
        per[i]!.push(us);
        process.stderr.write(`round ${r + 1} ${labels[i]}: ${sent.ok} ok, ${sent.failed} failed, ${us.toFixed(0)} µs CPU/req\n`);
      }
    }
    for (const [i, s] of servers.entries()) {
      // Hedges sent, and statements per outcome: a hedge that loses is cancelled (one more connection to PostgreSQL).
      const text = await fetch(`http://127.0.0.1:${s.port}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
      const lines = text.split('\n').filter((l) => /^shardgate_hedged_reads_total|^shardgate_statements_total/.test(l));
      process.stderr.write(`metrics ${labels[i]}:\n  ${lines.join('\n  ')}\n`);
    }
    for (const [i, dir] of labels.entries()) {
      const sorted = [...per[i]!].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      process.stdout.write(
        `${dir}: ${values.scenario} at ${rate} req/s: CPU µs/req median ${median.toFixed(0)} (rounds ${per[i]!.map((x) => x.toFixed(0)).join(', ')})\n`,
      );
    }
  } finally {
    for (const s of servers) await s.stop().catch(() => {});
    await sink?.close().catch(() => {});
    if (cluster) await destroyThrowawayCluster(cluster.dir).catch(() => {});
  }
}

/** `rate` requests per second for `seconds`, over at most `connections` open at once; counts answers. */
async function paced(port: number, bodies: readonly string[], rate: number, seconds: number, connections: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  let ok = 0;
  let failed = 0;
  let inFlight = 0;
  let n = 0;
  const one = (body: string) =>
    new Promise<void>((done) => {
      inFlight++;
      const req = request(
        { port, host: '127.0.0.1', path: '/graphql', method: 'POST', agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            inFlight--;
            if (res.statusCode === 200 && !Buffer.concat(chunks).toString().includes('"errors"')) ok++;
            else failed++;
            done();
          });
        },
      );
      req.on('error', () => {
        inFlight--;
        failed++;
        done();
      });
      req.end(body);
    });
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const pending: Promise<void>[] = [];
  while (n < total) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    while (n < Math.min(due, total) && inFlight < connections) pending.push(one(bodies[n++ % bodies.length]!));
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(pending);
  agent.destroy();
  return { ok, failed };
}

process.on('exit', cleanUpSync);
main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
