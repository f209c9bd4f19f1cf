import { directQuery } from '../../testkit/pg-session.js';

/** Connections a gateway (known by its application_name) holds on a node, seen from PostgreSQL itself. */
export async function gatewayConnections(node: { host: string; port: number; user: string }, applicationName: string): Promise<number> {
  const rows = await directQuery<{ n: number }>(
    { host: node.host, port: node.port, user: node.user },
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  );
  return rows[0]!.n;
}
