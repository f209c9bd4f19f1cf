import pg from 'pg';

/** Connections a gateway (known by its application_name) holds on a node, seen from PostgreSQL itself. */
export async function gatewayConnections(node: { host: string; port: number; user: string }, applicationName: string): Promise<number> {
  const client = new pg.Client({ host: node.host, port: node.port, user: node.user, database: 'postgres' });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [
      applicationName,
    ]);
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}
