import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readClusterSpec } from '../src/cluster/cluster-files.js';
import { clusterNodes, haPorts } from '../src/cluster/cluster-layout.js';
import { runningDaemonPid } from '../src/cluster/daemon-process.js';
import { etcdMarker, etcdPidFile, patroniMarker, patroniPidFile } from '../src/cluster/patroni-daemons.js';
import { isProcessAlive, processWithChildren, runningPostmasterPid } from '../src/cluster/postmaster-process.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { byPort, cli, connect, eventuallyValue, query } from './support/cluster-command-helpers.js';

// Real Patroni and etcd: one 1 x (primary + replica) cluster shared by the whole file, as each boot costs seconds.
const TIMEOUT = 180_000;
/** ttl is 10 s: a crashed leader is replaced after about that, plus a loop or two. */
const CRASH_FAILOVER_BOUND_MS = 45_000;

let cluster: ThrowawayCluster;
let first: number;
let second: number;

const eventually = <T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000) => eventuallyValue(probe, ok, timeoutMs);

beforeAll(async () => {
  cluster = await startThrowawayCluster({ shards: 1, replicas: 1, ha: 'patroni' });
  first = cluster.basePort;
  second = cluster.basePort + 1;
  await query(first, 'CREATE TABLE ledger (id int PRIMARY KEY, note text)');
  await query(first, "INSERT INTO ledger SELECT g, 'at boot' FROM generate_series(1, 100) g");
}, TIMEOUT);

afterAll(async () => {
  await cluster?.destroy();
}, TIMEOUT);

describe('cluster up --ha patroni', { timeout: TIMEOUT }, () => {
  it('runs every node under Patroni with the layout primary as leader, ports as documented', async () => {
    const spec = await readClusterSpec(cluster.dir);
    expect(spec).toMatchObject({ ha: 'patroni', primaries: [0] });
    const ports = haPorts(spec!);
    expect([ports.restApi(0, 0), ports.restApi(0, 1), ports.etcdClient, ports.etcdPeer]).toEqual([
      first + 2,
      first + 3,
      first + 4,
      first + 5,
    ]);
    const health = (await (await fetch(`http://127.0.0.1:${ports.etcdClient}/health`)).json()) as { health: string };
    expect(health.health).toBe('true');
    const leader = (await (await fetch(`http://127.0.0.1:${ports.restApi(0, 0)}/patroni`)).json()) as { role: string; state: string };
    expect(leader).toMatchObject({ state: 'running', role: expect.stringMatching(/^(master|primary)$/) });

    const { exitCode, out } = await cli(['status', '--dir', cluster.dir]);
    expect(exitCode).toBe(0);
    expect(out[0]).toMatch(/^SHARD\s+ROLE\s+PORT\s+STATE\s+TL\s+PID\s+LAG\s+PATRONI\s+NOTE$/);
    expect(out[1]).toMatch(new RegExp(`^0\\s+primary\\s+${first}\\s+up\\s+\\d+\\s+\\d+\\s+-\\s+leader running$`));
    expect(out[2]).toMatch(new RegExp(`^0\\s+replica\\s+${second}\\s+up\\s+\\d+\\s+\\d+\\s+.*replica (running|streaming)$`));
    const topology = cluster.topology;
    expect(topology.shards[0]?.primary.port).toBe(first);
  });

  it('switches over with `cluster failover` (patronictl switchover), keeping every row', async () => {
    const before = byPort(await cluster.status(), first)?.timeline ?? 0;
    const { exitCode, out, err } = await cli(['failover', '--dir', cluster.dir, '--shard', '0']);
    expect(err).toEqual([]);
    expect(exitCode).toBe(0);
    const summary = out.find((l) => l.startsWith('shard 0 switched over'));
    expect(summary).toMatch(new RegExp(`\\(patronictl switchover\\): primary port ${first} -> ${second}, timeline ${before + 1};`));
    console.info(`[measured] Patroni switchover: ${summary}`);

    const status = await cluster.status();
    expect(byPort(status, second)).toMatchObject({
      observedRole: 'primary',
      role: 'primary',
      patroni: { role: 'leader', state: 'running' },
    });
    expect(byPort(status, first)).toMatchObject({ observedRole: 'replica', role: 'replica', timeline: before + 1 });
    expect((await readClusterSpec(cluster.dir))?.primaries).toEqual([1]);
    const [count] = await query<{ n: number }>(second, 'SELECT count(*)::int AS n FROM ledger');
    expect(count?.n).toBe(100);
  });

  it('promotes the replica when the leader’s postgres and Patroni are killed (-9); `up` rejoins the old leader', async () => {
    const timeline = byPort(await cluster.status(), second)?.timeline ?? 0;
    await query(second, "INSERT INTO ledger VALUES (500, 'before the crash')");
    await eventually(
      () => query(first, 'SELECT id FROM ledger WHERE id = 500'),
      (r) => r.length === 1,
    );

    const started = Date.now();
    const killed = await cluster.killNode(0, 'primary', 'SIGKILL');
    expect(killed.length).toBeGreaterThan(2); // Patroni, the postmaster, its children
    expect(killed.filter(isProcessAlive)).toEqual([]);
    const promoted = await eventually(
      () => query<{ r: boolean }>(first, 'SELECT pg_is_in_recovery() AS r'),
      (rows) => rows[0]?.r === false,
      CRASH_FAILOVER_BOUND_MS,
    );
    expect(promoted).toEqual([{ r: false }]);
    const elapsed = Date.now() - started;
    console.info(`[measured] Patroni crash failover (kill -9 of the leader's postgres and Patroni): replica writable after ${elapsed} ms`);
    expect(elapsed).toBeLessThan(CRASH_FAILOVER_BOUND_MS);
    const crashed = await cluster.status();
    expect(byPort(crashed, first)).toMatchObject({ observedRole: 'primary', timeline: timeline + 1 });
    // The killed leader is down: no role is shown for it (the shard's two nodes are both asserted).
    expect(byPort(crashed, second)).toMatchObject({ up: false, observedRole: null });
    expect(crashed).toHaveLength(2);
    await query(first, "INSERT INTO ledger VALUES (501, 'after the crash')");

    // `up` takes Patroni's new leader as the primary and starts the killed node's Patroni,
    // which rewinds it and makes it a replica of the new leader.
    const up = await cli(['up', '--dir', cluster.dir]);
    expect(up.err).toEqual([]);
    expect((await readClusterSpec(cluster.dir))?.primaries).toEqual([0]);
    await eventually(
      () => query<{ name: string }>(first, "SELECT application_name AS name FROM pg_stat_replication WHERE state = 'streaming'"),
      (rows) => rows.some((r) => r.name === 'shard0_node1'),
    );
    expect(
      await eventually(
        () => query(second, 'SELECT id FROM ledger WHERE id = 501'),
        (r) => r.length === 1,
      ),
    ).toHaveLength(1);
    const rejoined = await cluster.status();
    expect(byPort(rejoined, first)).toMatchObject({ up: true, observedRole: 'primary', timeline: timeline + 1 });
    expect(byPort(rejoined, second)).toMatchObject({ up: true, observedRole: 'replica', timeline: timeline + 1 });
    expect(rejoined).toHaveLength(2);
  });

  it('`cluster down` stops Patroni, PostgreSQL and etcd, leaving no process behind', async () => {
    const spec = (await readClusterSpec(cluster.dir))!;
    const nodes = clusterNodes(spec);
    const daemons = [
      runningDaemonPid(etcdPidFile(spec), etcdMarker(spec)),
      ...nodes.map((n) => runningDaemonPid(patroniPidFile(spec, n), patroniMarker(n))),
    ];
    const postgres = nodes.flatMap((n) => {
      const pid = runningPostmasterPid(n.dataDir);
      return pid === null ? [] : processWithChildren(pid);
    });
    expect(daemons.every((pid) => pid !== null)).toBe(true);
    expect(postgres.length).toBeGreaterThanOrEqual(2 * 2);

    const { exitCode, out } = await cli(['down', '--dir', cluster.dir]);
    expect(exitCode).toBe(0);
    expect(out.at(-1)).toBe('cluster stopped');
    expect([...(daemons as number[]), ...postgres].filter(isProcessAlive)).toEqual([]);
    // The leader at `down` is recorded, so that `up` starts it first and it stays the primary.
    expect((await readClusterSpec(cluster.dir))?.primaries).toEqual([0]);
  });
});
