import pg from 'pg';
import type { ShardNode } from '../sharding/shard.js';
import { timestampFromPg } from './timestamp.js';

export interface PoolOptions {
  /** Connections per node. @default 10 */
  readonly max: number;
  /** Give up connecting (or waiting for a free connection) after this long. @default 1000 */
  readonly connectTimeoutMs: number;
  /** Server-side `statement_timeout`; the client gives up 500 ms later. @default 5000 */
  readonly statementTimeoutMs: number;
  /** Close connections idle this long. @default 30000 */
  readonly idleTimeoutMs: number;
  /** `application_name`, seen in pg_stat_activity. @default "shardgate" */
  readonly applicationName: string;
}

export const DEFAULT_POOL_OPTIONS: PoolOptions = Object.freeze({
  max: 10,
  connectTimeoutMs: 1000,
  statementTimeoutMs: 5000,
  idleTimeoutMs: 30_000,
  applicationName: 'shardgate',
});

const TIMESTAMPTZ_OID = 1184;

// timestamptz arrives as canonical microsecond text (see timestamp.ts), not as a Date.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMPTZ_OID && format !== 'binary') return timestampFromPg;
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  },
} as unknown as pg.CustomTypesConfig;

/** One bounded pool for one node. Its `error` event is always handled: an idle connection dying must not crash the process. */
export function createNodePool(
  node: ShardNode,
  options: PoolOptions,
  onIdleError: (node: ShardNode, err: Error) => void,
): pg.Pool {
  const pool = new pg.Pool({
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
  pool.on('error', (err) => onIdleError(node, err));
  return pool;
}
