import pg from 'pg';
import { runClusterCommand } from '../../src/cli/cluster-command.js';
import type { ClusterNodeStatus } from '../../src/cluster/local-cluster.js';
import { directQuery, openDirectSession } from '../../testkit/pg-session.js';

/** `shardgate cluster ...` in-process: its exit code and the lines it printed. */
export function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  return runClusterCommand(argv, { out: (s) => out.push(s), err: (s) => err.push(s) }).then((exitCode) => ({ exitCode, out, err }));
}

/** A connection as `postgres` to the `shardgate` database of the node on `port` (127.0.0.1). */
export function connect(port: number, options: Partial<pg.ClientConfig> = {}): Promise<pg.Client> {
  return openDirectSession({ port, dbname: 'shardgate' }, options);
}

/** One statement on its own short-lived connection to the `shardgate` database of the node on `port`. */
export function query<T extends pg.QueryResultRow>(port: number, sql: string, params: unknown[] = []): Promise<T[]> {
  return directQuery<T>({ port, dbname: 'shardgate' }, sql, params);
}

export { eventuallyValue } from '../../testkit/eventually.js';

export const byPort = (status: ClusterNodeStatus[], port: number) => status.find((n) => n.port === port);
