import pg from 'pg';

/**
 * A node a test reaches directly, around the gateway: a topology node
 * (`dbname`, maybe a password) or just a port on 127.0.0.1. Unset fields
 * mean 127.0.0.1, the `postgres` role and the `postgres` database.
 */
export interface DirectTarget {
  readonly host?: string;
  readonly port: number;
  readonly user?: string;
  readonly password?: string;
  readonly dbname?: string;
}

/**
 * A connected session to `target`. It has an 'error' listener, so a node
 * stopped under it (a failover test, cleanup after a failure) cannot crash
 * the test process; the caller ends it.
 */
export async function openDirectSession(target: DirectTarget, options: Partial<pg.ClientConfig> = {}): Promise<pg.Client> {
  const client = new pg.Client({
    host: target.host ?? '127.0.0.1',
    port: target.port,
    user: target.user ?? 'postgres',
    password: target.password || undefined,
    database: target.dbname ?? 'postgres',
    connectionTimeoutMillis: 5_000,
    ...options,
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** One short-lived session to `target` around `fn`, ended also when `fn` throws. */
export async function withDirectSession<T>(
  target: DirectTarget,
  fn: (client: pg.Client) => Promise<T>,
  options: Partial<pg.ClientConfig> = {},
): Promise<T> {
  const client = await openDirectSession(target, options);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** One statement on its own short-lived session: its rows. */
export function directQuery<R extends pg.QueryResultRow = Record<string, unknown>>(
  target: DirectTarget,
  text: string,
  params: unknown[] = [],
): Promise<R[]> {
  return withDirectSession(target, async (client) => (await client.query<R>(text, params)).rows);
}
