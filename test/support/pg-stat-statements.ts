import pg from 'pg';
import type { ThrowawayCluster } from '../../testkit/throwaway-cluster.js';

/** One node of a throwaway cluster, as the statement counts name it. */
export interface CountedNode {
  readonly shardId: number;
  readonly role: 'primary' | 'replica';
  readonly port: number;
}

/** Runs `work` on a connection of its own to the `shardgate` database on `port`, as postgres. */
export async function onNode<T>(port: number, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'shardgate' });
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Turns pg_stat_statements on in every node of `cluster` (primaries and
 * replicas) and returns the nodes. ALTER SYSTEM writes each node's own
 * postgresql.auto.conf (not replicated), and the library loads only at
 * start, so every node restarts; the extension is created on the primaries
 * (the replicas get it by replication). A cluster of its own: the restart
 * would disturb any other test on a shared one.
 */
export async function enablePgStatStatements(cluster: ThrowawayCluster): Promise<CountedNode[]> {
  const nodes: CountedNode[] = [];
  for (const shard of cluster.topology.shards) {
    nodes.push({ shardId: shard.shardId, role: 'primary', port: shard.primary.port });
    for (const r of shard.replicas) nodes.push({ shardId: shard.shardId, role: 'replica', port: r.port });
  }
  for (const node of nodes) await onNode(node.port, (c) => c.query("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"));
  for (const shard of cluster.topology.shards) {
    await cluster.stopNode(shard.shardId, 'replica');
    await cluster.stopNode(shard.shardId, 'primary');
    await cluster.startNode(shard.shardId, 'primary');
    await cluster.startNode(shard.shardId, 'replica');
  }
  for (const node of nodes.filter((n) => n.role === 'primary')) {
    await onNode(node.port, (c) => c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements'));
  }
  return nodes;
}

/** Executions on `node` of the gateway's statements whose text matches `pattern` (a PostgreSQL regex, case-insensitive), since the last reset. */
export async function executionsOn(node: CountedNode, pattern: string): Promise<number> {
  return onNode(node.port, async (c) => {
    const { rows } = await c.query<{ n: string }>(
      `SELECT coalesce(sum(s.calls), 0)::int8 AS n FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
       WHERE d.datname = 'shardgate' AND s.query ~* $1 AND s.query NOT ILIKE '%pg_stat_statements%'`,
      [pattern],
    );
    return Number(rows[0]!.n);
  });
}

/** Forgets every node's counts. */
export async function resetPgStatStatements(nodes: readonly CountedNode[]): Promise<void> {
  for (const node of nodes) await onNode(node.port, (c) => c.query('SELECT pg_stat_statements_reset()'));
}
