import { dirname } from 'node:path';
import { requireClusterSpec } from '../../src/cluster/cluster-files.js';
import { nodeOf, type ClusterNode } from '../../src/cluster/cluster-layout.js';
import { findPgBinaries } from '../../src/cluster/find-pg-binaries.js';
import { runProgram } from '../../src/cluster/run-program.js';
import { withDirectSession } from '../../testkit/pg-session.js';

/*
 * What an operator (or an orchestrator) does to a shard by hand, for the
 * failover tests: crash a node, promote a standby, run an administrative
 * statement. Real PostgreSQL programs, run as the cluster's owner.
 */

export async function clusterNode(dir: string, shardId: number, role: 'primary' | 'replica', replicaIndex = 0): Promise<ClusterNode> {
  return nodeOf(await requireClusterSpec(dir), shardId, role, replicaIndex);
}

/** `pg_ctl stop -m immediate`: the postmaster and its backends quit at once, as in a crash (recovery on the next start). */
export async function crashNode(node: ClusterNode): Promise<void> {
  const bins = await findPgBinaries();
  await runProgram(bins.pgCtl, ['stop', '-m', 'immediate', '-w', '-t', '30', '-s', '-D', node.dataDir], {
    cwd: dirname(node.dataDir),
    what: `crashing ${node.label}`,
  });
}

/** `pg_ctl promote -w`: the standby leaves recovery on a new timeline. */
export async function promoteNode(node: ClusterNode): Promise<void> {
  const bins = await findPgBinaries();
  await runProgram(bins.pgCtl, ['promote', '-w', '-t', '30', '-s', '-D', node.dataDir], {
    cwd: dirname(node.dataDir),
    what: `promoting ${node.label}`,
  });
}

/** Runs statements as `postgres` on the node's `postgres` database (ALTER SYSTEM cannot run in a transaction: one by one). */
export async function adminQuery<R extends object = Record<string, unknown>>(port: number, ...statements: string[]): Promise<R[]> {
  return withDirectSession({ port }, async (client) => {
    let rows: R[] = [];
    for (const text of statements) rows = (await client.query<R>(text)).rows;
    return rows;
  });
}

/** Every commit on the primary waits for a standby (what `cluster up --synchronous` sets up), then waits until one is `sync`. */
export async function makeSynchronous(primaryPort: number): Promise<void> {
  await adminQuery(
    primaryPort,
    "ALTER SYSTEM SET synchronous_standby_names = '*'",
    "ALTER SYSTEM SET synchronous_commit = 'on'",
    'SELECT pg_reload_conf()',
  );
  const deadline = Date.now() + 15_000;
  for (;;) {
    const rows = await adminQuery<{ n: number }>(
      primaryPort,
      "SELECT count(*)::int AS n FROM pg_stat_replication WHERE sync_state = 'sync'",
    );
    if (rows[0]!.n > 0) return;
    if (Date.now() > deadline) throw new Error(`no synchronous standby on port ${primaryPort} after 15 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What orchestrators do after promoting: the new primary must not wait for a standby it does not have. */
export async function dropSynchronousStandbys(port: number): Promise<void> {
  await adminQuery(port, 'ALTER SYSTEM RESET synchronous_standby_names', 'SELECT pg_reload_conf()');
}
