import pg from 'pg';
import type { NodeConfig } from '../src/config/topology.js';
import { withDirectSession } from './pg-session.js';

const UNDEFINED_TABLE = '42P01';

/**
 * Waits until a replica has replayed at least `rows` rows of `users` (0 while
 * it has not replayed the CREATE TABLE yet). Bounded polling: throws after
 * `timeoutMs`, naming the node and what it has.
 */
export async function waitForReplicaRows(node: NodeConfig, rows: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await withClient(node, async (c) => {
    for (;;) {
      const have = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM users').then(
        (result) => result.rows[0]!.n,
        (err: { code?: string }) => (err.code === UNDEFINED_TABLE ? 0 : Promise.reject(err)),
      );
      if (have >= rows) return;
      if (Date.now() > deadline) throw new Error(`replica ${node.host}:${node.port} has ${have} of ${rows} users after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
}

/** One short-lived connection to `node`, around the gateway. */
export function withClient<T>(node: NodeConfig, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withDirectSession(node, fn);
}
