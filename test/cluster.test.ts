import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterNodes, type ClusterSpec } from '../src/cluster/cluster-layout.js';
import { clusterDown, clusterStatus, clusterUp, startNode, stopNode } from '../src/cluster/local-cluster.js';
import { isProcessAlive, processWithChildren, runningPostmasterPid } from '../src/cluster/postmaster-process.js';
import { loadTopologyFile } from '../src/config/load-topology.js';
import { cleanUpSync, trackClusterDir, untrackClusterDir } from '../testkit/cleanup-at-exit.js';
import { findFreePortRange } from '../testkit/free-port-range.js';
import { startThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { directQuery } from '../testkit/pg-session.js';
import { cli, eventuallyValue, query } from './support/cluster-command-helpers.js';
import { useSharedDatabase } from './support/use-shared-database.js';

// Real PostgreSQL: generous limits, although a 2 x (1+1) cluster boots in a few seconds.
const TIMEOUT = 120_000;

describe('local cluster: 2 shards x (primary + 1 replica)', { timeout: TIMEOUT }, () => {
  let dir: string;
  let spec: ClusterSpec;
  let upMillis = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shardgate-cluster-test-'));
    trackClusterDir(dir);
    spec = { dir, shards: 2, replicas: 1, basePort: await findFreePortRange(4), fsync: false };
    const started = Date.now();
    await clusterUp(spec);
    upMillis = Date.now() - started;
  }, TIMEOUT);

  afterAll(async () => {
    await clusterDown(dir).catch(() => {});
    await rm(dir, { recursive: true, force: true });
    untrackClusterDir(dir);
  }, TIMEOUT);

  it('comes up with every node up and a topology file', async () => {
    // How long it took is reported, not asserted: a shared machine's load decides it (the hook's timeout bounds it).
    console.log(`[cluster up] 2 x (primary + 1 replica) in ${upMillis} ms`);
    const status = await clusterStatus(dir);
    expect(status.map((n) => [n.shardId, n.role, n.port - spec.basePort, n.up])).toEqual([
      [0, 'primary', 0, true],
      [0, 'replica', 1, true],
      [1, 'primary', 2, true],
      [1, 'replica', 3, true],
    ]);
    for (const replica of status.filter((n) => n.role === 'replica')) {
      expect(replica.lagSeconds).not.toBeNull();
      expect(replica.lagBytes).not.toBeNull();
    }
    const topology = JSON.parse(await readFile(join(dir, 'topology.json'), 'utf8'));
    expect(topology.shards[1]).toEqual({
      shardId: 1,
      primary: { host: '127.0.0.1', port: spec.basePort + 2, user: 'postgres', password: '', dbname: 'shardgate' },
      replicas: [{ host: '127.0.0.1', port: spec.basePort + 3, user: 'postgres', password: '', dbname: 'shardgate' }],
    });
  });

  it('streams rows written on a primary to its replica, which refuses writes', async () => {
    const primary = spec.basePort + 2;
    const replica = spec.basePort + 3;
    await query(primary, 'CREATE TABLE IF NOT EXISTS probe (id int PRIMARY KEY, note text)');
    await query(primary, 'INSERT INTO probe VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [1, 'from primary']);
    const rows = await eventuallyValue(
      () => query<{ note: string }>(replica, 'SELECT note FROM probe WHERE id = 1'),
      (r) => r.length === 1,
      15_000,
    );
    expect(rows).toEqual([{ note: 'from primary' }]);
    await expect(query(replica, "INSERT INTO probe VALUES (2, 'x')")).rejects.toMatchObject({ code: '25006' });
  });

  it('treats `up` on a running cluster as a no-op', async () => {
    const before = (await clusterStatus(dir)).map((n) => n.pid);
    const lines: string[] = [];
    await clusterUp(spec, { onProgress: (l) => lines.push(l) });
    expect((await clusterStatus(dir)).map((n) => n.pid)).toEqual(before);
    expect(lines.filter((l) => /initdb|cloning|starting/.test(l))).toEqual([]);
  });

  it('shows a stopped replica down, and `up` starts it again with its data', async () => {
    await stopNode(dir, 0, 'replica', 0);
    const down = await clusterStatus(dir);
    expect(down[1]).toMatchObject({ shardId: 0, role: 'replica', up: false, pid: null, lagSeconds: null });
    expect(down.filter((n) => n.up)).toHaveLength(3);

    const lines: string[] = [];
    await clusterUp(spec, { onProgress: (l) => lines.push(l) });
    expect(lines.filter((l) => /starting/.test(l))).toEqual([`starting shard 0 replica 0 on port ${spec.basePort + 1}...`]);
    expect((await clusterStatus(dir)).every((n) => n.up)).toBe(true);
  });

  it('lets a test stop and start a primary', async () => {
    await stopNode(dir, 1, 'primary');
    const status = await clusterStatus(dir);
    expect(status[2]).toMatchObject({ up: false });
    expect(status[3]).toMatchObject({ up: true, lagBytes: null }); // no primary to compare with
    await startNode(dir, 1, 'primary');
    await eventuallyValue(
      () => query(spec.basePort + 3, 'SELECT 1'),
      () => true,
      15_000,
    );
    expect((await clusterStatus(dir))[2]).toMatchObject({ up: true });
  });

  it('refuses options that contradict the existing layout', async () => {
    await expect(clusterUp({ ...spec, shards: 3 })).rejects.toMatchObject({
      code: 'LAYOUT_MISMATCH',
      message: expect.stringContaining('--shards 3 (cluster has 2)'),
    });
    const { exitCode, err } = await cli(['up', '--dir', dir, '--replicas', '2']);
    expect(exitCode).toBe(1);
    expect(err).toEqual([expect.stringMatching(/^cluster up: .*--replicas 2 \(cluster has 1\)/)]);
  });

  it('prints status through the CLI, one aligned line per node', async () => {
    const { exitCode, out } = await cli(['status', '--dir', dir]);
    expect(exitCode).toBe(0);
    expect(out).toHaveLength(5);
    expect(out[0]).toMatch(/^SHARD\s+ROLE\s+PORT\s+STATE\s+TL\s+PID\s+LAG\s+NOTE$/);
    expect(out[2]).toMatch(new RegExp(`^0\\s+replica\\s+${spec.basePort + 1}\\s+up\\s+1\\s+\\d+\\s+\\d`));
  });

  it('gives a clean one-line error for bad flags and unknown clusters', async () => {
    for (const argv of [['up', '--dir', dir, '--bogus'], ['up', '--dir', dir, '--shards', 'three'], ['nope']]) {
      const { exitCode, out, err } = await cli(argv);
      expect(exitCode).toBe(2);
      expect(out).toEqual([]);
      expect(err).toHaveLength(1);
      expect(err[0]).not.toMatch(/\n|    at /);
    }
    const missing = await cli(['status', '--dir', join(dir, 'nowhere')]);
    expect(missing).toMatchObject({ exitCode: 1, err: [expect.stringMatching(/^cluster status: no cluster in .*nowhere/)] });
  });

  it('names the port when another process holds it', async () => {
    const other = await mkdtemp(join(tmpdir(), 'shardgate-cluster-busy-'));
    trackClusterDir(other);
    const base = await findFreePortRange(2);
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(base + 1, '127.0.0.1', r));
    try {
      const { exitCode, err } = await cli(['up', '--dir', other, '--shards', '1', '--base-port', String(base), '--no-fsync']);
      expect(exitCode).toBe(1);
      expect(err).toEqual([
        `cluster up: port ${base + 1} (shard 0 replica 0) is already in use on 127.0.0.1 by another process; stop it or choose another --base-port`,
      ]);
    } finally {
      blocker.close();
      await rm(other, { recursive: true, force: true });
      untrackClusterDir(other);
    }
  });

  it('`down` leaves no PostgreSQL process of the cluster behind', async () => {
    const pids = clusterNodes({ ...spec }).flatMap((n) => {
      const pid = runningPostmasterPid(n.dataDir);
      return pid === null ? [] : processWithChildren(pid);
    });
    expect(pids.length).toBeGreaterThanOrEqual(4 * 2);
    await clusterDown(dir);
    expect(pids.filter(isProcessAlive)).toEqual([]);
    expect((await clusterStatus(dir)).map((n) => n.up)).toEqual([false, false, false, false]);
  });
});

describe('throw-away cluster toolkit (testkit/)', { timeout: TIMEOUT }, () => {
  it('boots a throw-away cluster on free ports and destroys it completely', async () => {
    const cluster = await startThrowawayCluster({ shards: 1, replicas: 1 });
    const topology = loadTopologyFile(cluster.topologyPath);
    expect(cluster.topology).toEqual(JSON.parse(JSON.stringify(topology)));
    const [shard] = topology.shards;
    expect(shard?.replicas[0]?.port).toBe((shard?.primary.port ?? 0) + 1);

    await cluster.stopNode(0, 'replica', 0);
    expect((await clusterStatus(cluster.dir))[1]?.up).toBe(false);
    await cluster.startNode(0, 'replica', 0);
    expect((await clusterStatus(cluster.dir))[1]?.up).toBe(true);

    const pids = (await clusterStatus(cluster.dir)).flatMap((n) => (n.pid === null ? [] : processWithChildren(n.pid)));
    await cluster.destroy();
    expect(pids.filter(isProcessAlive)).toEqual([]);
    expect(existsSync(cluster.dir)).toBe(false);
  });

  it('kills and deletes registered clusters synchronously, as on process exit', async () => {
    const cluster = await startThrowawayCluster({ shards: 1, replicas: 1 });
    const pids = (await clusterStatus(cluster.dir)).flatMap((n) => (n.pid === null ? [] : processWithChildren(n.pid)));
    expect(pids.length).toBeGreaterThan(2);
    cleanUpSync();
    expect(pids.filter(isProcessAlive)).toEqual([]);
    expect(existsSync(cluster.dir)).toBe(false);
  });

  it('gives each caller its own database on the shared cluster, on every node', async () => {
    const a = await useSharedDatabase('cluster test');
    const b = await useSharedDatabase('cluster test');
    expect(a.dbname).toMatch(/^t_cluster_test_[0-9a-f]{10}$/);
    expect(b.dbname).not.toBe(a.dbname);
    const topology = loadTopologyFile(a.topologyPath);
    expect(a.topology).toEqual(JSON.parse(JSON.stringify(topology)));
    for (const shard of topology.shards) {
      for (const node of [shard.primary, ...shard.replicas]) {
        const rows = await directQuery<{ db: string }>(node, 'SELECT current_database() AS db');
        expect(rows).toEqual([{ db: a.dbname }]);
      }
    }
  });
});
