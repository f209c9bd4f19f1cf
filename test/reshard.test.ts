import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolOptions } from '../src/cli/reshard-command.js';
import { seedDemoUsers, demoUser } from '../src/cli/seed-demo-users.js';
import { loadGatewayOptions } from '../src/config/gateway-options.js';
import { loadTopologyFile } from '../src/config/load-topology.js';
import { readTopologyDocument, recordableTopology } from '../src/config/recorded-topology.js';
import { migrateAll } from '../src/repository/migrations.js';
import { runReshard, type ReshardResult } from '../src/reshard/run-reshard.js';
import { openShards } from '../src/repository/open-shards.js';
import { startGateway, type RunningGateway } from '../src/server/start-gateway.js';
import { shardIdFor } from '../src/sharding/shard-id-for.js';
import { eventually, testGatewayOptions } from './support/gateway-fixture.js';
import { startReshardLoad, type ReshardLoad } from './support/reshard-load.js';
import { startThrowawayCluster, type ThrowawayCluster as TestCluster } from '../testkit/throwaway-cluster.js';
import { directQuery } from '../testkit/pg-session.js';
import { reshardModules } from '../src/modules/builtin-modules.js';

const USERS = 2000;

interface Primary {
  host: string;
  port: number;
  user: string;
  dbname: string;
}

type TopologyDoc = { shards: { shardId: number; primary: Primary; replicas: Primary[] }[] };

/** One statement on a primary, as a plain session ("behind the tool's back" when it writes). */
function sql<R extends object = Record<string, unknown>>(node: Primary, text: string, params: unknown[] = []): Promise<R[]> {
  return directQuery<R & pg.QueryResultRow>(node, text, params);
}

/** What a database holds of resharding: its objects, and the rows of job, layout and guard. */
async function reshardState(node: Primary): Promise<{ objects: number; jobs?: number; layouts?: number; guards?: number }> {
  const [{ n }] = (await sql<{ n: number }>(
    node,
    "SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'shardgate_layout%' OR relname LIKE 'shardgate_reshard%'",
  )) as [{ n: number }];
  if (n === 0) return { objects: 0 };
  const count = async (table: string) => (await sql<{ n: number }>(node, `SELECT count(*)::int AS n FROM ${table}`))[0]!.n;
  return {
    objects: n,
    jobs: await count('shardgate_reshard'),
    layouts: await count('shardgate_layout'),
    guards: await count('shardgate_layout_guard'),
  };
}

/** Every user of every database, with the database's index. */
async function usersByDatabase(primaries: readonly Primary[]): Promise<{ db: number; userId: string; name: string }[]> {
  const all = await Promise.all(primaries.map((p) => sql<{ user_id: string; name: string }>(p, 'SELECT user_id, name FROM users')));
  return all.flatMap((rows, db) => rows.map((r) => ({ db, userId: r.user_id, name: r.name })));
}

interface CliRun {
  readonly child: ReturnType<typeof spawn>;
  /** Lines printed so far. */
  readonly out: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string[]; err: string }>;
}

/** Children still running when a test ends are killed (by pid) in afterAll. */
const children = new Set<ReturnType<typeof spawn>>();

/** `shardgate reshard` as a child process. `onLine` may kill it. */
function spawnCli(args: string[], onLine?: (line: string, child: ReturnType<typeof spawn>) => void): CliRun {
  const child = spawn(process.execPath, ['bin/shardgate.js', 'reshard', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const out: string[] = [];
  let err = '';
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      out.push(line);
      onLine?.(line, child);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string[]; err: string }>((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, out, err });
    }),
  );
  return { child, out, exited };
}

/** `shardgate reshard` as a child process; resolves when it exits. */
function runCli(args: string[], onLine?: (line: string, child: ReturnType<typeof spawn>) => void) {
  return spawnCli(args, onLine).exited;
}

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

async function seed(topologyPath: string): Promise<string[]> {
  const shards = openShards(loadTopologyFile(topologyPath), testGatewayOptions());
  try {
    await migrateAll(shards.db);
    await seedDemoUsers(shards.users, shards.manager.shardCount, USERS);
  } finally {
    await shards.close();
  }
  return Array.from({ length: USERS }, (_, i) => demoUser(i + 1).userId);
}

function inProcess(from: string, to: string, extra: { log?: string[] } = {}): Promise<ReshardResult> {
  return runReshard({
    from: loadTopologyFile(from),
    to: loadTopologyFile(to),
    recordedTo: recordableTopology(readTopologyDocument(to)),
    dryRun: false,
    gatewayOptions: toolOptions(loadGatewayOptions({})),
    log: (line) => extra.log?.push(line),
    batchSize: 200,
    // The built-in modules' tables (orders) move with their owners.
    modules: reshardModules(),
    cleanupDelayMs: 1000,
  });
}

/**
 * A listening gateway with room to breathe on a busy machine: the load is
 * judged on "no request fails", so pool waits and statements get more time
 * than the other tests give them (nothing here is about timeouts).
 */
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

function failures(load: ReshardLoad) {
  return load.records.filter((r) => !r.ok).map((r) => `${r.op} ${r.userId}: ${r.problem}`);
}

/** Every user exactly once, in database fnv1a32 % M; every acknowledged write there with its last name. */
async function expectPlacedOnce(primaries: readonly Primary[], seeded: readonly string[], load: ReshardLoad): Promise<void> {
  const rows = await usersByDatabase(primaries);
  const seen = new Map<string, { db: number; name: string }>();
  const duplicates: string[] = [];
  const misplaced: string[] = [];
  for (const r of rows) {
    if (seen.has(r.userId)) duplicates.push(r.userId);
    seen.set(r.userId, r);
    if (shardIdFor(r.userId, primaries.length) !== r.db) misplaced.push(`${r.userId} in ${r.db}`);
  }
  expect(duplicates).toEqual([]);
  expect(misplaced).toEqual([]);
  expect(seeded.filter((id) => !seen.has(id))).toEqual([]);
  const lost = [...load.acknowledged]
    .filter(([id, name]) => seen.get(id)?.name !== name)
    .map(([id, name]) => `${id}: ${name} → ${seen.get(id)?.name}`);
  expect(lost).toEqual([]);
  expect(rows.length).toBe(seeded.length + load.acknowledged.size);
}

describe('reshard 2 → 3: the old shards stay shards 0 and 1, a new cluster becomes shard 2', () => {
  let old: TestCluster;
  let added: TestCluster;
  let dir: string;
  let fromPath: string;
  let toPath: string;
  let primaries: Primary[];
  let seeded: string[];
  let gateway: RunningGateway | null = null;

  beforeAll(async () => {
    [old, added] = await Promise.all([
      startThrowawayCluster({ shards: 2, replicas: 1, name: 'reshard-old' }),
      startThrowawayCluster({ shards: 1, replicas: 1, name: 'reshard-new' }),
    ]);
    dir = await mkdtemp(join(tmpdir(), 'shardgate-reshard-'));
    fromPath = old.topologyPath;
    const from = old.topology as unknown as TopologyDoc;
    const to = { shards: [...from.shards, { ...(added.topology as unknown as TopologyDoc).shards[0]!, shardId: 2 }] };
    toPath = join(dir, 'to.json');
    await writeFile(toPath, JSON.stringify(to, null, 2));
    primaries = to.shards.map((s) => s.primary);
    seeded = await seed(fromPath);
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.all([old?.destroy(), added?.destroy()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('--help, and a clear refusal of missing or equal-sized layouts', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.out.join('\n')).toMatch(/Usage: shardgate reshard --from OLD --to NEW \[--dry-run\]/);
    const missing = await runCli(['--from', fromPath]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--from OLD and --to NEW are required/);
    const same = await runCli(['--from', fromPath, '--to', fromPath]);
    expect(same.code).toBe(1);
    expect(same.err).toMatch(/both have 2 shard\(s\)/);
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    const before = await usersByDatabase(primaries.slice(0, 2));
    // The old shards have the migrations' objects (no job, no layout, no guard row); the new database has nothing.
    const objects = await Promise.all(primaries.map(reshardState));
    expect(objects).toEqual([
      { objects: expect.any(Number), jobs: 0, layouts: 0, guards: 0 },
      { objects: expect.any(Number), jobs: 0, layouts: 0, guards: 0 },
      { objects: 0 },
    ]);
    const run = await runCli(['--from', fromPath, '--to', toPath, '--dry-run']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const text = run.out.join('\n');
    expect(text).toMatch(/plan: 2 → 3 shards/);
    expect(text).toMatch(/new shard 2 \(new database\)/);
    expect(text).toMatch(new RegExp(`of ${USERS} users move`));
    expect(text).toMatch(/dry run: nothing was changed/);
    expect(await Promise.all(primaries.map(reshardState))).toEqual(objects);
    expect(await usersByDatabase(primaries.slice(0, 2))).toEqual(before);
    expect(await sql(primaries[2]!, "SELECT to_regclass('users') AS t")).toEqual([{ t: null }]);
  });

  it('under a read and write load: a crash mid-copy, a divergence that aborts, then a rerun switches the running gateway', async () => {
    gateway = await startGatewayFor(fromPath);
    const load = startReshardLoad(gateway.url.replace('localhost', '127.0.0.1'), { clients: 4, prefix: 'live', seeded });
    try {
      await eventually(() => load.acknowledged.size >= 20, 60_000, 'the load to get going');

      // 1. Killed in the middle of the copy.
      let killedAt: string | null = null;
      const crashed = await runCli(['--from', fromPath, '--to', toPath, '--batch-size', '20', '--progress-ms', '0'], (line, child) => {
        if (!killedAt && /^copy: [1-9]\d*\/\d+ users/.test(line)) {
          killedAt = line;
          child.kill('SIGKILL');
        }
      });
      expect(killedAt, crashed.out.join('\n') + crashed.err).not.toBeNull();
      expect(crashed.signal).toBe('SIGKILL');
      const [job] = await sql<{ phase: string; copy_done: boolean }>(primaries[0]!, 'SELECT phase, copy_done FROM shardgate_reshard');
      expect(job).toMatchObject({ phase: 'prepared' });
      expect(gateway.shards.manager.shardCount).toBe(2);

      // 2. A row added to the new shard behind the tool's back, by a DBA's session past the layout guard (the new shard takes
      // no gateway writes before the switch), before the resumed run: its verification finds it, aborted, the old layout serves.
      const target = Array.from({ length: 100 }, (_, i) => `stray-${i}`).find((id) => shardIdFor(id, 3) === 2)!;
      await sql(
        primaries[2]!,
        `SET application_name = 'shardgate-reshard'; INSERT INTO users (user_id, name, email) VALUES ('${target}', 'Stray', 's@example.com')`,
      );
      const log: string[] = [];
      await expect(inProcess(fromPath, toPath, { log })).rejects.toThrow(/cutover aborted: 1 user\(s\) differ/);
      expect(log.join('\n')).toContain(`user ${JSON.stringify(target)} on the new shard but not on the old ones`);
      expect(log.join('\n')).toMatch(/resuming job \w+ at phase "prepared"/);
      const guards = await Promise.all(
        primaries.map((p) =>
          sql<{ state: string; shard_count: number | null }>(p, 'SELECT state, shard_count FROM shardgate_layout_guard'),
        ),
      );
      expect(guards.map((g) => [g[0]!.state, g[0]!.shard_count])).toEqual([
        ['active', 2],
        ['active', 2],
        ['paused', null],
      ]);
      expect(await Promise.all(primaries.map(async (p) => (await sql(p, 'SELECT epoch FROM shardgate_layout')).length))).toEqual([0, 0, 0]);
      const before = load.records.length;
      await eventually(
        () => load.records.slice(before).filter((r) => r.op === 'create' && r.ok).length >= 10,
        60_000,
        'writes to flow on the old layout',
      );
      expect(gateway.shards.manager.shardCount).toBe(2);

      // 3. The same command again: the differing user is copied again, verified, switched; the running gateway follows.
      const rerun = await runCli(['--from', fromPath, '--to', toPath, '--cleanup-delay-ms', '1500']);
      expect(rerun.err).toBe('');
      expect(rerun.code).toBe(0);
      const text = rerun.out.join('\n');
      expect(text).toMatch(/resuming job \w+ at phase "copied"/);
      expect(text).toMatch(/verify: new shard 2: \d+ users, checksum [0-9a-f]{32} = old/);
      const pause = Number(/writes were paused for (\d+) ms/.exec(text)?.[1]);
      expect(pause).toBeGreaterThan(0);
      console.log(
        `[reshard 2→3] write pause ${pause} ms; ${text
          .split('\n')
          .filter((l) => l.startsWith('copy:') || l.startsWith('done'))
          .join(' | ')}`,
      );
      await eventually(() => gateway!.shards.manager.shardCount === 3, 30_000, 'the running gateway to adopt the new layout');
      expect(gateway.shards.layout.currentEpoch).toBe(1);
      const after = load.records.length;
      await eventually(
        () => load.records.slice(after).filter((r) => r.op === 'create' && r.ok).length >= 20,
        60_000,
        'writes to flow on the new layout',
      );
    } finally {
      await load.stop();
    }
    expect(failures(load)).toEqual([]);
    expect(load.records.filter((r) => r.op.startsWith('read')).length).toBeGreaterThan(50);
    // Writes did meet the pause (refused by the guard at the door) and still none failed: they were held and sent again.
    const counted = await gateway!.observability.metrics.registry.getSingleMetricAsString('shardgate_shard_queries_total');
    const refusedWrites = counted
      .split('\n')
      .filter((line) => /operation="(INSERT|UPDATE)"/.test(line) && /outcome="error"/.test(line))
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    expect(refusedWrites).toBeGreaterThan(0);
    await expectPlacedOnce(primaries, seeded, load);
    // The stray row was queued by the abort and, absent from the old shards, deleted by the rerun's catch-up.
    expect(await sql(primaries[2]!, "SELECT 1 FROM users WHERE user_id LIKE 'stray-%'")).toEqual([]);
    // Three CLI runs and one in process, each waited on by condition: a busy machine must not fail it by the default timeout.
  }, 300_000);

  it('a gateway started after the cutover with the old file serves the new layout', async () => {
    const late = await startGatewayFor(fromPath);
    try {
      expect(late.shards.manager.shardCount).toBe(3);
      const onShard2 = seeded.find((id) => shardIdFor(id, 3) === 2 && shardIdFor(id, 2) === 0)!;
      const post = (query: string, variables: Record<string, unknown>) =>
        fetch(late.url.replace('localhost', '127.0.0.1'), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query, variables }),
        }).then((r) => r.json() as Promise<{ data?: any; errors?: unknown[]; extensions?: Record<string, unknown> }>);
      const read = await post('query($u: ID!) { user(userId: $u, consistency: STRONG) { userId shardId } }', { u: onShard2 });
      expect(read).toEqual({ data: { user: { userId: onShard2, shardId: 2 } } });
      const created = await post('mutation($i: CreateUserInput!) { createUser(input: $i) { shardId } }', {
        i: { userId: 'late-gateway-user', name: 'L', email: 'l@example.com' },
      });
      // A write answers with its consistency token too.
      expect(created).toEqual({
        data: { createUser: { shardId: shardIdFor('late-gateway-user', 3) } },
        extensions: { consistencyToken: expect.any(String) },
      });
      const shards = await post('{ shards { id } }', {});
      expect(shards).toEqual({ data: { shards: [{ id: 0 }, { id: 1 }, { id: 2 }] } });
    } finally {
      await late.close();
    }
  });
});

describe('reshard 3 → 2: the third shard leaves the layout', () => {
  let cluster: TestCluster;
  let dir: string;
  let toPath: string;
  let seeded: string[];

  beforeAll(async () => {
    cluster = await startThrowawayCluster({ shards: 3, replicas: 1, name: 'reshard-shrink' });
    dir = await mkdtemp(join(tmpdir(), 'shardgate-reshard-'));
    const from = cluster.topology as unknown as TopologyDoc;
    toPath = join(dir, 'to.json');
    await writeFile(toPath, JSON.stringify({ shards: from.shards.slice(0, 2) }, null, 2));
    seeded = await seed(cluster.topologyPath);
  });

  afterAll(async () => {
    await cluster?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('moves every user while a gateway serves reads and writes; the retired shard ends empty and refuses writes', async () => {
    const gateway = await startGatewayFor(cluster.topologyPath);
    const load = startReshardLoad(gateway.url.replace('localhost', '127.0.0.1'), { clients: 4, prefix: 'shrink', seeded });
    let result: ReshardResult;
    try {
      await eventually(() => load.acknowledged.size >= 20, 60_000, 'the load to get going');
      result = await inProcess(cluster.topologyPath, toPath);
      expect(result.outcome).toBe('done');
      await eventually(() => gateway.shards.manager.shardCount === 2, 30_000, 'the running gateway to adopt the new layout');
      const after = load.records.length;
      await eventually(
        () => load.records.slice(after).filter((r) => r.op === 'create' && r.ok).length >= 20,
        60_000,
        'writes to flow on the new layout',
      );
    } finally {
      await load.stop();
      await gateway.close();
    }
    console.log(
      `[reshard 3→2] write pause ${result!.writePauseMs} ms, copy ${result!.copied} users at ${result!.copyRate} users/s, total ${result!.totalMs} ms`,
    );
    expect(failures(load)).toEqual([]);
    const primaries = (cluster.topology as unknown as TopologyDoc).shards.map((s) => s.primary);
    await expectPlacedOnce(primaries.slice(0, 2), seeded, load);
    expect(await sql(primaries[2]!, 'SELECT 1 FROM users')).toEqual([]);
    await expect(
      sql(primaries[2]!, "INSERT INTO users (user_id, name, email) VALUES ('stale', 'S', 's@example.com')"),
    ).rejects.toMatchObject({ code: 'SGL01' });
    // A gateway still on the old layout could only reach the old shard 0 with a user of the new shard 1: refused, to be retried.
    const elsewhere = Array.from({ length: 100 }, (_, i) => `stale-${i}`).find((id) => shardIdFor(id, 3) === 0 && shardIdFor(id, 2) === 1)!;
    await expect(
      sql(primaries[0]!, "INSERT INTO users (user_id, name, email) VALUES ($1, 'S', 's@example.com')", [elsewhere]),
    ).rejects.toMatchObject({ code: 'SGL01' });
  });
});

describe('two runs of the same reshard at once', () => {
  let cluster: TestCluster;
  let dir: string;
  let toPath: string;
  let seeded: string[];

  beforeAll(async () => {
    cluster = await startThrowawayCluster({ shards: 3, replicas: 0, name: 'reshard-twice' });
    dir = await mkdtemp(join(tmpdir(), 'shardgate-reshard-'));
    const from = cluster.topology as unknown as TopologyDoc;
    toPath = join(dir, 'to.json');
    await writeFile(toPath, JSON.stringify({ shards: from.shards.slice(0, 2) }, null, 2));
    seeded = await seed(cluster.topologyPath);
  });

  afterAll(async () => {
    await cluster?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('exactly one proceeds, the other exits at once naming it; after the holder is killed a rerun resumes and finishes', async () => {
    // The cleanup delay keeps the holder alive (holding the lock) after its cutover, until it is killed.
    const args = ['--from', cluster.topologyPath, '--to', toPath, '--progress-ms', '0', '--cleanup-delay-ms', '600000'];
    const runs = [spawnCli(args), spawnCli(args)];
    const waiting = (run: CliRun) => run.out.some((l) => l.startsWith('cleanup: waiting'));
    const exitedEarly: (Awaited<CliRun['exited']> | null)[] = [null, null];
    runs.forEach((run, i) => void run.exited.then((r) => (exitedEarly[i] = r)));
    // Either one run is refused and the other reaches its cleanup, or (without a lock) both reach it.
    await eventually(
      () => runs.filter(waiting).length === 2 || (exitedEarly.some((r) => r !== null) && runs.some(waiting)),
      120_000,
      'one run to be refused and the other to reach its cleanup',
    );
    const holderIndex = runs.findIndex(waiting);
    const holder = runs[holderIndex]!;
    const other = runs[1 - holderIndex]!;
    expect(runs.filter(waiting)).toHaveLength(1);
    const refused = await other.exited;
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(
      new RegExp(
        `another shardgate reshard is running on these shards \\(host ${hostname()}, pid ${holder.child.pid}, since \\d{4}-\\d\\d-\\d\\dT`,
      ),
    );
    // The refused run did nothing: no plan, no step.
    expect(refused.out.filter((l) => /^(plan|prepare|copy|catch-up|cutover|cleanup|verify)/.test(l))).toEqual([]);
    expect(holder.out.filter((l) => l.startsWith('cutover: new layout recorded'))).toHaveLength(1);

    // The holder dies (its sessions, and the lock with them, end with it): a rerun resumes at once and finishes.
    holder.child.kill('SIGKILL');
    expect((await holder.exited).signal).toBe('SIGKILL');
    const rerun = await runCli(['--from', cluster.topologyPath, '--to', toPath, '--cleanup-delay-ms', '0']);
    expect(rerun.err).toBe('');
    expect(rerun.code).toBe(0);
    expect(rerun.out.join('\n')).toMatch(/resuming job \w+ at phase "switched"/);
    expect(rerun.out.join('\n')).toMatch(/^done: 2 shards \(layout epoch 1\)/m);
    const primaries = (cluster.topology as unknown as TopologyDoc).shards.map((s) => s.primary);
    const rows = await usersByDatabase(primaries.slice(0, 2));
    expect(rows.filter((r) => shardIdFor(r.userId, 2) !== r.db)).toEqual([]);
    expect(new Set(rows.map((r) => r.userId))).toEqual(new Set(seeded));
    expect(rows).toHaveLength(seeded.length);
    expect(await sql(primaries[2]!, 'SELECT 1 FROM users')).toEqual([]);
    // Three CLI processes start and run one after another: bounded by the conditions waited on, not by the default timeout.
  }, 300_000);
});
