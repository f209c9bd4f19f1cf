#!/usr/bin/env node
// Soak: a real `shardgate serve` on a throw-away local cluster (3 shards x
// primary + replica, 2,000 users) under full load from concurrent clients, a
// share of them hostile (the amplification attacks, CSRF, forged cursors,
// invalid strings), for a while; prints the gateway's RSS every 10 s, which
// must stay flat, the p50/p99 latency of the normal requests per minute, which
// must not drift, and what each kind of request got. Beside the RSS, V8's heap
// (used and total) and memory outside it, from the gateway's own /metrics, so
// a rising RSS can be told from a growing heap. With --snapshots DIR the
// gateway writes a heap snapshot there at minute 2 and near the end (compare
// them in Chrome's DevTools, or with scripts/heap-snapshot-summary.mjs).
// Uses the build in dist/ (`npm run build` first).
//
//   node scripts/soak-request-safety.mjs [--minutes 10] [--clients 16] [--hostile 0.2] [--snapshots DIR]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { minutes: { type: 'string' }, clients: { type: 'string' }, hostile: { type: 'string' }, snapshots: { type: 'string' } },
});
const minutes = Number(values.minutes ?? 10);
const clients = Number(values.clients ?? 16);
const hostileShare = Number(values.hostile ?? 0.2);
const cli = join(import.meta.dirname, '..', 'bin', 'shardgate.js');

function run(args) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`shardgate ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const dir = mkdtempSync(join(tmpdir(), 'shardgate-soak-'));
// The cluster runs as `postgres` when we are root: it must be able to write here.
chmodSync(dir, 0o777);
let basePort = 0;
let port = 0;
let gateway;
try {
  // A random block of ports; another one when something already listens in it (cluster up checks and refuses).
  for (let attempt = 1; ; attempt++) {
    basePort = 40000 + Math.floor(Math.random() * 10000);
    port = basePort - 1;
    try {
      run(['cluster', 'up', '--dir', dir, '--shards', '3', '--replicas', '1', '--base-port', String(basePort)]);
      break;
    } catch (err) {
      if (attempt === 5 || !/already in use/.test(String(err))) throw err;
    }
  }
  const topology = join(dir, 'topology.json');
  run(['migrate', '--config', topology]);
  run(['seed', '--config', topology, '--count', '2000']);
  const nodeFlags = values.snapshots ? ['--heapsnapshot-signal=SIGUSR2'] : [];
  gateway = spawn(process.execPath, [...nodeFlags, cli, 'serve', '--config', topology, '--port', String(port), '--host', '127.0.0.1'], {
    env: { ...process.env, LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
    ...(values.snapshots ? { cwd: values.snapshots } : {}),
  });
  await new Promise((resolve, reject) => {
    let out = '';
    gateway.stdout.on('data', (d) => {
      out += d;
      if (out.includes('GraphiQL:')) resolve();
    });
    gateway.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  const aliases = (n, f) => Array.from({ length: n }, (_, i) => `a${i}: ${f}`).join(' ');
  const ids = Array.from({ length: 500 }, (_, i) => `user-${i}`);
  const json = { 'content-type': 'application/json' };
  let seq = 0;
  const normal = [
    () => ({ body: { query: `{ user(userId: "user-${seq % 2000}") { userId name } }` } }),
    () => ({ body: { query: '{ users(first: 20) { edges { cursor node { userId } } pageInfo { endCursor } } }' } }),
    () => ({ body: { query: 'query($ids: [ID!]!) { usersByIds(userIds: $ids) { userId } }', variables: { ids: ids.slice(0, 50) } } }),
    () => ({
      body: { query: `mutation { createUser(input: {userId: "soak-${process.pid}-${seq++}", name: "S", email: "s@x.io"}) { userId } }` },
    }),
  ];
  const hostile = [
    () => ({ body: { query: `{ ${aliases(5000, 'users(first: 100) { edges { node { userId } } }')} }` } }),
    () => ({ body: { query: `{ ${aliases(30, 'users(first: 100) { totalCount }')} }` } }),
    () => ({ body: { query: `query($ids: [ID!]!) { ${aliases(5000, 'usersByIds(userIds: $ids) { userId }')} }`, variables: { ids } } }),
    () => ({
      body: { query: 'query($ids: [ID!]!) { ' + aliases(30, 'usersByIds(userIds: $ids) { userId name email }') + ' }', variables: { ids } },
    }),
    () => ({ body: { query: `{ ${'... { '.repeat(5000)}__typename${' }'.repeat(5000)} }` } }),
    () => ({ body: { query: 'mutation { createUser(input: {userId: "x", name: "a\\u0000b", email: "n@x.io"}) { userId } }' } }),
    () => ({
      body: { query: `{ users(after: "${Buffer.from('v1|a|2026-02-30T00:00:00.000000Z|x').toString('base64url')}") { totalCount } }` },
    }),
    () => ({
      raw: new URLSearchParams({ query: 'mutation { deleteUser(userId: "user-1") }' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }),
  ];
  const tally = new Map();
  const count = (kind, status) => tally.set(`${kind} ${status}`, (tally.get(`${kind} ${status}`) ?? 0) + 1);
  const started = Date.now();
  const endAt = started + minutes * 60_000;
  // Latencies of the normal requests, one array per minute of the run.
  const perMinute = Array.from({ length: Math.ceil(minutes) }, () => []);
  const worker = async () => {
    while (Date.now() < endAt) {
      const isHostile = Math.random() < hostileShare;
      const pick = (isHostile ? hostile : normal)[Math.floor(Math.random() * (isHostile ? hostile : normal).length)]();
      const sent = performance.now();
      try {
        const res = await fetch(url, { method: 'POST', headers: pick.headers ?? json, body: pick.raw ?? JSON.stringify(pick.body) });
        await res.arrayBuffer();
        count(isHostile ? 'hostile' : 'normal', res.status);
      } catch (err) {
        count(isHostile ? 'hostile' : 'normal', err.cause?.code ?? 'error');
      }
      if (!isHostile) perMinute[Math.min(perMinute.length - 1, Math.floor((Date.now() - started) / 60_000))].push(performance.now() - sent);
    }
  };
  const quantile = (sorted, q) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  const rssMiB = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gateway.pid}/status`, 'utf8'))[1]) / 1024);
  // V8's heap and the memory outside it, as the gateway's /metrics reports them (prom-client's process metrics).
  const heap = async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const mib = (name) => Math.round(Number(new RegExp(`^shardgate_${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 1048576);
    return {
      used: mib('nodejs_heap_size_used_bytes'),
      total: mib('nodejs_heap_size_total_bytes'),
      external: mib('nodejs_external_memory_bytes'),
    };
  };
  const sample = async () => [Math.round((Date.now() - started) / 1000), rssMiB(), await heap().catch(() => null)];
  const samples = [await sample()];
  const sampler = setInterval(() => void sample().then((s) => samples.push(s)), 10_000);
  const snapshotAt = values.snapshots ? [120_000, minutes * 60_000 - 30_000].filter((t) => t > 0 && t < minutes * 60_000) : [];
  const snapshotTimers = snapshotAt.map((t) => setTimeout(() => gateway.kill('SIGUSR2'), t));
  await Promise.all(Array.from({ length: clients }, worker));
  clearInterval(sampler);
  snapshotTimers.forEach(clearTimeout);
  samples.push(await sample());
  const ready = (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
  console.log(`soak: ${minutes} min, ${clients} clients, ${Math.round(hostileShare * 100)}% hostile; /readyz at the end: ${ready}`);
  console.log('gateway RSS (s → MiB): ' + samples.map(([t, m]) => `${t}→${m}`).join(', '));
  console.log(
    'gateway heap used / heap total / external (s → MiB): ' +
      samples.map(([t, , h]) => `${t}→${h ? `${h.used}/${h.total}/${h.external}` : '?'}`).join(', '),
  );
  console.log('normal requests per minute (minute: count, p50 ms, p99 ms):');
  perMinute.forEach((latencies, i) => {
    const sorted = latencies.sort((a, b) => a - b);
    console.log(`  ${i + 1}: ${sorted.length}, p50 ${quantile(sorted, 0.5).toFixed(1)}, p99 ${quantile(sorted, 0.99).toFixed(1)}`);
  });
  console.log(
    'answers: ' +
      [...tally]
        .sort()
        .map(([k, v]) => `${k}: ${v}`)
        .join(', '),
  );
} finally {
  if (gateway && gateway.exitCode === null) {
    gateway.kill('SIGTERM');
    await new Promise((resolve) => gateway.on('exit', resolve));
  }
  try {
    run(['cluster', 'down', '--dir', dir]);
  } catch (err) {
    console.error(String(err));
  }
  rmSync(dir, { recursive: true, force: true });
}
