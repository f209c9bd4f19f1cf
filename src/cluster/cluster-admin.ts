import pg from 'pg';

/*
 * The few administrative statements the local development cluster needs.
 * Apart from the gateway's door (src/repository), this is the only module
 * that talks to PostgreSQL: the launcher must create databases and watch
 * replication before any topology exists for the gateway to open. Each call opens a short-lived connection as `postgres` to
 * the `postgres` database of one node on 127.0.0.1 (the dev cluster trusts
 * local connections) and closes it: these run a handful of times per
 * `cluster up` or `status`, where a pool would only leave connections behind.
 */

const HOST = '127.0.0.1';
const CONNECT_TIMEOUT_MS = 3_000;
/** Database names go into CREATE DATABASE, which cannot take a parameter. */
const DBNAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** One short-lived admin connection to the `postgres` database of the node on `port`, closed after `work`. */
export async function withAdminClient<T>(port: number, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    host: HOST,
    port,
    user: 'postgres',
    database: 'postgres',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: 30_000,
    application_name: 'shardgate-cluster-admin',
  });
  // A server shut down while the client is open emits 'error'; without a
  // listener that would crash the process. The awaited call fails anyway.
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** True when the node accepts connections and answers a query. */
export async function pingNode(port: number): Promise<boolean> {
  try {
    await withAdminClient(port, (c) => c.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

/** How many standbys stream from this primary right now (pg_stat_replication in state `streaming`). */
export async function countStreamingReplicas(primaryPort: number): Promise<number> {
  return withAdminClient(primaryPort, async (c) => {
    const { rows } = await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_replication WHERE state = 'streaming'");
    return rows[0]?.n ?? 0;
  });
}

export async function databaseExists(port: number, dbname: string): Promise<boolean> {
  return withAdminClient(port, async (c) => {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbname]);
    return (rowCount ?? 0) > 0;
  });
}

/** Create the database on a primary unless it exists. Returns true when it was created. */
export async function createDatabaseIfMissing(primaryPort: number, dbname: string): Promise<boolean> {
  assertDbname(dbname);
  return withAdminClient(primaryPort, async (c) => {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbname]);
    if ((rowCount ?? 0) > 0) return false;
    try {
      await c.query(`CREATE DATABASE "${dbname}"`);
      return true;
    } catch (err) {
      // 42P04 duplicate_database: someone else created it in between, which is what we wanted.
      if (err instanceof pg.DatabaseError && err.code === '42P04') return false;
      throw err;
    }
  });
}

/**
 * Wait until a database created on the primary has reached a replica through
 * WAL. Throws after `timeoutMs`, naming the port.
 */
export async function waitForDatabase(replicaPort: number, dbname: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      if (await databaseExists(replicaPort, dbname)) return;
      lastError = 'not there yet';
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new Error(`database "${dbname}" did not appear on the replica at ${HOST}:${replicaPort} within ${timeoutMs} ms (${lastError})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function assertDbname(dbname: string): void {
  if (!DBNAME_PATTERN.test(dbname)) {
    throw new Error(`invalid database name "${dbname}": expected lower-case letters, digits and _ (not first), at most 63 characters`);
  }
}
