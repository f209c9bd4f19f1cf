import pg from 'pg';
import { runClusterCommand } from '../../src/cli/cluster-command.js';
import type { ClusterNodeStatus } from '../../src/cluster/local-cluster.js';

/** `shardgate cluster ...` in-process: its exit code and the lines it printed. */
export function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  return runClusterCommand(argv, { out: (s) => out.push(s), err: (s) => err.push(s) }).then((exitCode) => ({ exitCode, out, err }));
}

/** A connection as `postgres` to the `shardgate` database of the node on `port` (127.0.0.1). */
export async function connect(port: number, options: Partial<pg.ClientConfig> = {}): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database: 'shardgate',
    connectionTimeoutMillis: 5_000,
    ...options,
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** One statement on its own short-lived connection. */
export async function query<T extends pg.QueryResultRow>(port: number, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = await connect(port);
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Polls `probe` (failures count as "not yet") until `ok` holds, every 100 ms, for at most `timeoutMs`. */
export async function eventuallyValue<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe().catch(() => undefined);
    if (last !== undefined && ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`condition not reached within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const byPort = (status: ClusterNodeStatus[], port: number) => status.find((n) => n.port === port);
