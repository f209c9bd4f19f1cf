import pg from 'pg';
import type { PoolOptions } from '../config/pool-options.js';
import type { ShardNode } from '../sharding/shard.js';
import { timestampFromPg } from './timestamp.js';

const TIMESTAMPTZ_OID = 1184;

// timestamptz arrives as canonical microsecond text (see timestamp.ts), not as a Date.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMPTZ_OID && format !== 'binary') return timestampFromPg;
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  },
} as unknown as pg.CustomTypesConfig;

/** The error each dead connection died of (see `GuardedClient`). */
const connectionErrors = new WeakMap<pg.ClientBase, Error>();

/**
 * The error the connection of `client` died of, if it died. Such a client is
 * destroyed on release (`client.release(err)`), never handed out again.
 */
export function connectionErrorOf(client: pg.ClientBase): Error | undefined {
  return connectionErrors.get(client);
}

/**
 * pg emits `'error'` on a client whose connection breaks, and an `'error'`
 * event nobody listens to kills the process. pg-pool listens only while a
 * client sits idle in the pool: a connection that dies while checked out (a
 * backend terminated by a DBA, a node stopped under load, a cut TCP stream)
 * would emit into the void. So every client the gateway creates listens from
 * its construction to its end; the statement in flight learns of the failure
 * through its own rejected promise, and the door destroys the client.
 */
function guardedClient(onError: (err: Error) => void): new (config?: string | pg.ClientConfig) => pg.Client {
  return class GuardedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.on('error', (err: Error) => {
        if (!connectionErrors.has(this)) connectionErrors.set(this, err);
        onError(err);
      });
    }
  };
}

/**
 * One bounded pool for one node. Every client of it, idle or checked out, has
 * an `'error'` listener for its whole life (see `guardedClient`), and so does
 * the pool itself: a connection dying never crashes the process.
 */
export function createNodePool(node: ShardNode, options: PoolOptions, onConnectionError: (node: ShardNode, err: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    Client: guardedClient((err) => onConnectionError(node, err)),
    host: node.config.host,
    port: node.config.port,
    user: node.config.user,
    password: node.config.password || undefined,
    database: node.config.dbname,
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: options.idleTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    query_timeout: options.statementTimeoutMs + 500,
    application_name: options.applicationName,
    keepAlive: true,
    // Statements on a checked-out connection still run one at a time; pipelining
    // lets a write and the WAL position behind it share one network round trip.
    pipeline: true,
    // Canonical timestamps need UTC ISO output whatever the server's defaults are.
    options: '-c TimeZone=UTC -c DateStyle=ISO,MDY',
    types,
  });
  // pg-pool re-emits an idle client's error here and drops the client; the
  // client's own listener has already reported it.
  pool.on('error', () => {});
  return pool;
}
