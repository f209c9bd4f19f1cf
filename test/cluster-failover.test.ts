import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readClusterSpec } from '../src/cluster/cluster-files.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { byPort, cli, connect, eventuallyValue, query } from './support/cluster-command-helpers.js';

// Real PostgreSQL, real pg_ctl promote and pg_rewind: one synchronous 1 x (primary + replica) cluster for the file.
const TIMEOUT = 120_000;

let cluster: ThrowawayCluster;
/** Ports of member 0 (created as the primary) and member 1 (created as its replica). */
let first: number;
let second: number;

const eventually = <T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000) => eventuallyValue(probe, ok, timeoutMs);

beforeAll(async () => {
  cluster = await startThrowawayCluster({ shards: 1, replicas: 1, synchronous: true });
  first = cluster.basePort;
  second = cluster.basePort + 1;
  await query(first, 'CREATE TABLE ledger (id int PRIMARY KEY, note text)');
}, TIMEOUT);

afterAll(async () => {
  await cluster?.destroy();
}, TIMEOUT);

describe('cluster up --synchronous', { timeout: TIMEOUT }, () => {
  it('requires the replica for every commit', async () => {
    const [row] = await query<{ names: string }>(first, "SELECT current_setting('synchronous_standby_names') AS names");
    expect(row?.names).toBe('ANY 1 ("shard0_node1")');
    const replication = await query<{ application_name: string; sync_state: string }>(
      first,
      'SELECT application_name, sync_state FROM pg_stat_replication',
    );
    expect(replication).toEqual([{ application_name: 'shard0_node1', sync_state: 'quorum' }]);
    expect((await readClusterSpec(cluster.dir))?.synchronous).toBe(true);
  });

  it('holds a commit until the replica has it: with the replica stopped, the write waits', async () => {
    // That an acknowledged write survives a crash of the primary is checked at the end of the file.
    await cluster.stopNode(0, 'replica');
    const writer = await connect(first);
    const watcher = await connect(first);
    try {
      const write = writer.query("INSERT INTO ledger VALUES (1, 'waits for the replica')");
      // The commit is done locally but not acknowledged: its backend waits for a synchronous standby.
      await eventually(
        () => watcher.query<{ wait_event: string }>("SELECT wait_event FROM pg_stat_activity WHERE query LIKE 'INSERT INTO ledger%'"),
        (r) => r.rows[0]?.wait_event === 'SyncRep',
      );
      let acknowledged = false;
      void write.then(() => (acknowledged = true));
      await Promise.resolve();
      expect(acknowledged).toBe(false);
      await cluster.startNode(0, 'replica');
      await write; // released by the replica's return
      expect(
        await eventually(
          () => query(second, 'SELECT id FROM ledger WHERE id = 1'),
          (r) => r.length === 1,
        ),
      ).toEqual([{ id: 1 }]);
    } finally {
      await writer.end();
      await watcher.end();
    }
  });

  it('ends the wait on a cancel (what a request deadline sends): the commit is then only local, with a warning', async () => {
    // statement_timeout does not apply here: PostgreSQL stops its timer before the commit waits.
    await cluster.stopNode(0, 'replica');
    const client = await connect(first);
    const watcher = await connect(first);
    const notices: string[] = [];
    client.on('notice', (n) => notices.push(n.message ?? ''));
    try {
      const write = client.query("INSERT INTO ledger VALUES (2, 'not replicated when acknowledged')");
      const { rows } = await eventually(
        () => watcher.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE wait_event = 'SyncRep'"),
        (r) => r.rows.length === 1,
      );
      await watcher.query('SELECT pg_cancel_backend($1)', [rows[0]?.pid]);
      await write;
      expect(notices.join('\n')).toMatch(/canceling wait for synchronous replication/);
    } finally {
      await client.end();
      await watcher.end();
      await cluster.startNode(0, 'replica');
    }
    await eventually(
      () => query(second, 'SELECT id FROM ledger WHERE id = 2'),
      (r) => r.length === 1,
    );
  });
});

describe('cluster failover (pg_ctl promote + pg_rewind)', { timeout: TIMEOUT }, () => {
  it('swaps the roles, moves to a new timeline, rejoins the old primary and keeps every row', async () => {
    await query(first, "INSERT INTO ledger SELECT g, 'before failover' FROM generate_series(10, 109) g");
    const before = await cluster.status();
    const { exitCode, out, err } = await cli(['failover', '--dir', cluster.dir, '--shard', '0']);
    expect(err).toEqual([]);
    expect(exitCode).toBe(0);
    const summary = out.find((l) => l.startsWith('shard 0 switched over'));
    expect(summary).toMatch(new RegExp(`primary port ${first} -> ${second}, timeline 2; writes refused for \\d+ ms, done in \\d+ ms$`));
    console.info(`[measured] manual switchover: ${summary}`);

    const after = await cluster.status();
    expect(byPort(before, first)).toMatchObject({ observedRole: 'primary', timeline: 1 });
    expect(byPort(after, second)).toMatchObject({ observedRole: 'primary', role: 'primary', timeline: 2, up: true });
    expect(byPort(after, first)).toMatchObject({ observedRole: 'replica', role: 'replica', timeline: 2, up: true });
    // The old primary streams from the new one, and the new primary's commits wait for it.
    const replication = await query<{ application_name: string }>(
      second,
      "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'",
    );
    expect(replication).toEqual([{ application_name: 'shard0_node0' }]);
    const [sync] = await query<{ names: string }>(second, "SELECT current_setting('synchronous_standby_names') AS names");
    expect(sync?.names).toBe('ANY 1 ("shard0_node0")');

    const [count] = await query<{ n: number }>(second, 'SELECT count(*)::int AS n FROM ledger');
    expect(count?.n).toBe(102);
    await query(second, "INSERT INTO ledger VALUES (200, 'after failover')");
    expect(
      await eventually(
        () => query(first, 'SELECT id FROM ledger WHERE id = 200'),
        (r) => r.length === 1,
      ),
    ).toHaveLength(1);
    await expect(query(first, "INSERT INTO ledger VALUES (201, 'x')")).rejects.toMatchObject({ code: '25006' });
  });

  it('records the new roles on disk: topology.json, and `down` + `up` keep them', async () => {
    const topology = JSON.parse(await readFile(join(cluster.dir, 'topology.json'), 'utf8'));
    expect(topology.shards[0].primary.port).toBe(second);
    expect(topology.shards[0].replicas.map((r: { port: number }) => r.port)).toEqual([first]);
    expect((await readClusterSpec(cluster.dir))?.primaries).toEqual([1]);

    expect((await cli(['down', '--dir', cluster.dir])).exitCode).toBe(0);
    const up = await cli(['up', '--dir', cluster.dir]);
    expect(up.err).toEqual([]);
    const status = await cluster.status();
    expect(byPort(status, second)).toMatchObject({ observedRole: 'primary', timeline: 2 });
    expect(byPort(status, first)).toMatchObject({ observedRole: 'replica', timeline: 2 });
    const [sync] = await query<{ names: string }>(second, "SELECT current_setting('synchronous_standby_names') AS names");
    expect(sync?.names).toBe('ANY 1 ("shard0_node0")');
  });

  it('shows observed roles and timelines in `cluster status`', async () => {
    const { exitCode, out } = await cli(['status', '--dir', cluster.dir]);
    expect(exitCode).toBe(0);
    expect(out[0]).toMatch(/^SHARD\s+ROLE\s+PORT\s+STATE\s+TL\s+PID\s+LAG\s+NOTE$/);
    expect(out[1]).toMatch(new RegExp(`^0\\s+primary\\s+${second}\\s+up\\s+2\\s+\\d+\\s+-$`));
    expect(out[2]).toMatch(new RegExp(`^0\\s+replica\\s+${first}\\s+up\\s+2\\s+\\d+\\s+\\d`));
  });

  it('switches back: a second failover works the same way', async () => {
    const result = await cluster.failover(0);
    expect(result).toMatchObject({ mode: 'pg_ctl', from: { port: second }, to: { port: first }, timeline: 3 });
    const status = await cluster.status();
    expect(byPort(status, first)).toMatchObject({ observedRole: 'primary', timeline: 3 });
    expect(byPort(status, second)).toMatchObject({ observedRole: 'replica', timeline: 3 });
    const [count] = await query<{ n: number }>(first, 'SELECT count(*)::int AS n FROM ledger');
    expect(count?.n).toBe(103);
    // Synchronous again, with the roles swapped back: the commit is on the other node once acknowledged.
    const [sync] = await query<{ names: string }>(first, "SELECT current_setting('synchronous_standby_names') AS names");
    expect(sync?.names).toBe('ANY 1 ("shard0_node1")');
  });

  it('refuses to switch over when the replica is down, and changes nothing', async () => {
    await cluster.stopNode(0, 'replica');
    try {
      const { exitCode, err } = await cli(['failover', '--dir', cluster.dir, '--shard', '0']);
      expect(exitCode).toBe(1);
      expect(err).toEqual([
        expect.stringMatching(/^cluster failover: cannot switch shard 0 over: shard 0 replica 0 .* is not running.*nothing was changed$/),
      ]);
      expect(byPort(await cluster.status(), first)).toMatchObject({ observedRole: 'primary', timeline: 3 });
      expect((await cli(['failover', '--dir', cluster.dir, '--shard', '5'])).err).toEqual([
        'cluster failover: no shard 5: the cluster has shards 0..0',
      ]);
    } finally {
      await cluster.startNode(0, 'replica');
    }
  });
});

describe('crash test support: kill and promote by hand', { timeout: TIMEOUT }, () => {
  it('loses no acknowledged write when the primary is killed and its synchronous replica promoted', async () => {
    const writer = await connect(first);
    for (let i = 1000; i < 1050; i++) await writer.query('INSERT INTO ledger VALUES ($1, $2)', [i, 'acknowledged']);
    await writer.end();
    const killed = await cluster.killNode(0, 'primary', 'SIGKILL');
    expect(killed.length).toBeGreaterThan(1);
    await cluster.promote(0);
    const [row] = await query<{ n: number }>(second, "SELECT count(*)::int AS n FROM ledger WHERE note = 'acknowledged'");
    expect(row?.n).toBe(50);
    // The promoted node takes writes alone: its old primary's synchronous standby setting is gone.
    await query(second, "INSERT INTO ledger VALUES (2000, 'after promotion')");
    const status = await cluster.status();
    expect(byPort(status, second)).toMatchObject({ observedRole: 'primary', role: 'replica', timeline: 4 });
    expect(byPort(status, first)).toMatchObject({ up: false, role: 'primary' });
  });

  it('lets the old primary come back on its old timeline (what a gateway must not trust)', async () => {
    await cluster.startNode(0, 'primary');
    const status = await cluster.status();
    // Out of recovery on a superseded timeline: fenced, never shown as a second primary.
    expect(byPort(status, first)).toMatchObject({ observedRole: 'fenced', timeline: 3 });
    expect(byPort(status, second)).toMatchObject({ observedRole: 'primary', timeline: 4 });
    expect(status.filter((n) => n.shardId === 0 && n.observedRole === 'primary')).toHaveLength(1);
    const { out } = await cli(['status', '--dir', cluster.dir]);
    expect(out.find((l) => l.includes(String(second)))).toMatch(/layout: replica 0$/);
    expect(out.find((l) => l.includes(String(first)))).toMatch(/^0\s+fenced\s.*layout: primary$/);
  });
});
