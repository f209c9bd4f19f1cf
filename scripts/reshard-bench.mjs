#!/usr/bin/env node
// Measures `shardgate reshard` from 2 to 3 shards (the two old shards stay
// shards 0 and 1, a new cluster becomes shard 2) with USERS users (default
// 50000), while a gateway serves a write and a read load: total time, copy
// rate, the write pause at the cutover as the tool measures it, and the
// slowest write the clients saw. Throw-away clusters (fsync off) on free
// ports of 127.0.0.1, removed at the end.
//
//   npm run build && node scripts/reshard-bench.mjs            # 50,000 users
//   USERS=5000 WRITERS=4 READERS=4 node scripts/reshard-bench.mjs
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadGatewayOptions } from '../dist/config/gateway-options.js';
import { loadTopologyFile } from '../dist/config/load-topology.js';
import { readTopologyDocument, recordableTopology } from '../dist/config/recorded-topology.js';
import { toolOptions } from '../dist/cli/reshard-command.js';
import { runReshard } from '../dist/reshard/run-reshard.js';
import { startGateway } from '../dist/server/start-gateway.js';
import { reshardModules } from '../dist/modules/builtin-modules.js';

const USERS = Number(process.env.USERS ?? 50_000);
const WRITERS = Number(process.env.WRITERS ?? 4);
const READERS = Number(process.env.READERS ?? 4);

function cli(...args) {
  const r = spawnSync(process.execPath, ['bin/shardgate.js', ...args], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' } });
  if (r.status !== 0) throw new Error(`shardgate ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function freeRange(count) {
  for (let base = 47_000 + Math.floor(Math.random() * 5000); base < 60_000; base += count) {
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error('no free port range');
}

const dir = mkdtempSync(join(tmpdir(), 'shardgate-reshard-bench-'));
// PostgreSQL runs as the postgres user when this runs as root: it must reach the data directories.
chmodSync(dir, 0o755);
const a = join(dir, 'old');
const b = join(dir, 'added');
let gateway = null;
const t = () => new Date().toISOString().slice(11, 23);
try {
  const base = await freeRange(6);
  console.log(`${t()} clusters: 2 x (primary + replica) and 1 x (primary + replica) from port ${base}`);
  cli('cluster', 'up', '--dir', a, '--shards', '2', '--replicas', '1', '--base-port', String(base), '--no-fsync');
  cli('cluster', 'up', '--dir', b, '--shards', '1', '--replicas', '1', '--base-port', String(base + 4), '--no-fsync');
  const from = join(a, 'topology.json');
  const to = join(dir, 'to.json');
  const fromDoc = JSON.parse(readFileSync(from, 'utf8'));
  const added = JSON.parse(readFileSync(join(b, 'topology.json'), 'utf8'));
  writeFileSync(to, JSON.stringify({ shards: [...fromDoc.shards, { ...added.shards[0], shardId: 2 }] }, null, 2));
  cli('migrate', '--config', from);
  const seedStarted = Date.now();
  cli('seed', '--config', from, '--count', String(USERS));
  console.log(`${t()} seeded ${USERS} users in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

  gateway = await startGateway({
    topology: loadTopologyFile(from),
    options: loadGatewayOptions(),
    logger: pino({ level: 'silent' }),
    port: 0,
    host: '127.0.0.1',
  });
  const url = `http://127.0.0.1:${gateway.port}/graphql`;
  const writes = [];
  const reads = [];
  let stopping = false;
  const post = async (query, variables) => {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = await r.json();
    return body.errors?.length ? body.errors.map((e) => e.extensions?.code ?? e.message).join(',') : null;
  };
  const loops = [
    ...Array.from({ length: WRITERS }, async (_, w) => {
      for (let n = 0; !stopping; n++) {
        const userId = `bench-w${w}-${n}`;
        const start = Date.now();
        const error = await post('mutation($i: CreateUserInput!) { createUser(input: $i) { userId } }', {
          i: { userId, name: 'B', email: `${userId}@example.com` },
        }).catch((e) => String(e));
        writes.push({ start, ms: Date.now() - start, error });
      }
    }),
    ...Array.from({ length: READERS }, async (_, r) => {
      for (let n = 0; !stopping; n++) {
        const userId = `user-${1 + ((n * 7919 + r * 104729) % USERS)}`;
        const start = Date.now();
        const error = await post('query($u: ID!) { user(userId: $u) { userId } }', { u: userId }).catch((e) => String(e));
        reads.push({ start, ms: Date.now() - start, error });
      }
    }),
  ];

  const result = await runReshard({
    from: loadTopologyFile(from),
    to: loadTopologyFile(to),
    recordedTo: recordableTopology(readTopologyDocument(to)),
    dryRun: false,
    gatewayOptions: toolOptions(loadGatewayOptions()),
    log: (line) => console.log(`${t()} ${line}`),
    // The built-in modules' tables (orders) move with their owners.
    modules: reshardModules(),
    cleanupDelayMs: 2000,
  });
  while (gateway.shards.manager.shardCount !== 3) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1000));
  stopping = true;
  await Promise.all(loops);

  const pct = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : null);
  const wms = writes.map((w) => w.ms).sort((x, y) => x - y);
  const rms = reads.map((r) => r.ms).sort((x, y) => x - y);
  const summary = {
    users: USERS,
    totalSeconds: +(result.totalMs / 1000).toFixed(1),
    copied: result.copied,
    copyRateUsersPerSecond: result.copyRate,
    writePauseMs: result.writePauseMs,
    verifyMs: result.verifyMs,
    writes: {
      count: writes.length,
      failed: writes.filter((w) => w.error).length,
      p50: pct(wms, 50),
      p99: pct(wms, 99),
      max: wms.at(-1) ?? null,
    },
    reads: {
      count: reads.length,
      failed: reads.filter((r) => r.error).length,
      p50: pct(rms, 50),
      p99: pct(rms, 99),
      max: rms.at(-1) ?? null,
    },
  };
  console.log(JSON.stringify(summary, null, 2));
  const failed = [...writes, ...reads].filter((x) => x.error).slice(0, 5);
  if (failed.length) console.log('first failures:', failed);
} finally {
  await gateway?.close();
  for (const d of [a, b]) spawnSync(process.execPath, ['bin/shardgate.js', 'cluster', 'down', '--dir', d], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
