import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_SUMMARY,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';

/**
 * Every span attribute the gateway sets. The database ones are the stable
 * OpenTelemetry conventions; `graphql.*` are copied from the incubating ones
 * (which may still change, so they are not imported); `shard.*` are ours.
 */
export const SpanAttr = {
  DB_SYSTEM_NAME: ATTR_DB_SYSTEM_NAME,
  DB_NAMESPACE: ATTR_DB_NAMESPACE,
  DB_OPERATION_NAME: ATTR_DB_OPERATION_NAME,
  DB_COLLECTION_NAME: ATTR_DB_COLLECTION_NAME,
  /** The statement's parameterised text: `$n` placeholders, never values. */
  DB_QUERY_TEXT: ATTR_DB_QUERY_TEXT,
  DB_QUERY_SUMMARY: ATTR_DB_QUERY_SUMMARY,
  /** The SQLSTATE of a failed statement. */
  DB_RESPONSE_STATUS_CODE: ATTR_DB_RESPONSE_STATUS_CODE,
  SERVER_ADDRESS: ATTR_SERVER_ADDRESS,
  SERVER_PORT: ATTR_SERVER_PORT,
  ERROR_TYPE: ATTR_ERROR_TYPE,
  GRAPHQL_OPERATION_TYPE: 'graphql.operation.type',
  GRAPHQL_OPERATION_NAME: 'graphql.operation.name',
  /** The shard that received the statement (integer). */
  SHARD_ID: 'shard.id',
  /** `primary` or `replica`, as observed when the statement was routed. */
  SHARD_ROLE: 'shard.role',
  /** Why that node: `write`, `replica-read`, `strong-read`, `no-healthy-replica`, `replica-failed`. */
  SHARD_ROUTE_REASON: 'shard.route.reason',
  /** Replica reads: the replication lag the health checker last measured. */
  SHARD_REPLICA_LAG_SECONDS: 'shard.replica.lag_seconds',
  /** A read with a consistency token: `replica`, `replica_after_wait` or `primary`. */
  SHARD_CONSISTENCY_SERVED_BY: 'shard.consistency.served_by',
  /** A DataLoader batch: how many keys this shard's statement carried. */
  SHARD_BATCH_KEYS: 'shard.batch.keys',
  /** The gateway's request id (also in the logs), to go from a trace to its log lines. */
  REQUEST_ID: 'shardgate.request.id',
} as const;

export const DB_SYSTEM_POSTGRESQL = DB_SYSTEM_NAME_VALUE_POSTGRESQL;

/** The instrumentation scope of every span. */
export const TRACER_NAME = 'shardgate';

/** Metric names, public: dashboards and alerts depend on them. Labels never carry user ids or query text. */
export const Metric = {
  SHARD_QUERIES_TOTAL: 'shardgate_shard_queries_total',
  SHARD_QUERY_DURATION_SECONDS: 'shardgate_shard_query_duration_seconds',
  POOL_CONNECTIONS: 'shardgate_pool_connections',
  POOL_CONNECTIONS_MAX: 'shardgate_pool_connections_max',
  NODE_UP: 'shardgate_node_up',
  NODE_SERVING: 'shardgate_node_serving',
  REPLICATION_LAG_SECONDS: 'shardgate_replication_lag_seconds',
  REPLICATION_LAG_BYTES: 'shardgate_replication_lag_bytes',
  CROSS_SHARD_QUERIES_TOTAL: 'shardgate_cross_shard_queries_total',
  SHARD_USERS: 'shardgate_shard_users',
  GRAPHQL_REQUESTS_TOTAL: 'shardgate_graphql_requests_total',
  GRAPHQL_REQUEST_DURATION_SECONDS: 'shardgate_graphql_request_duration_seconds',
  CONSISTENCY_READS_TOTAL: 'shardgate_consistency_reads_total',
  PRIMARY_CHANGES_TOTAL: 'shardgate_primary_changes_total',
  BUFFERED_WRITES: 'shardgate_buffered_writes',
  BUFFERED_WRITES_TOTAL: 'shardgate_buffered_writes_total',
  /** `serve --workers N`: worker processes running now, and those that died and were replaced. */
  WORKERS: 'shardgate_workers',
  WORKER_RESTARTS_TOTAL: 'shardgate_worker_restarts_total',
} as const;

/** Prefix of the Node.js process metrics (`shardgate_process_cpu_seconds_total`, ...). */
export const PROCESS_METRICS_PREFIX = 'shardgate_';

export const Label = {
  SHARD: 'shard',
  ROLE: 'role',
  ADDRESS: 'address',
  /** SELECT, INSERT, UPDATE, DELETE, DDL, BEGIN, COMMIT, ROLLBACK. */
  OPERATION: 'operation',
  /** Shard statements: ok, error, unavailable, timeout, overloaded. GraphQL operations: ok, error, invalid. Buffered writes: sent, expired, overflow. */
  OUTCOME: 'outcome',
  /** active, idle, waiting. */
  STATE: 'state',
  /** query, mutation, subscription, unknown. */
  OPERATION_TYPE: 'operation_type',
  /** Reads with a consistency token: replica, replica_after_wait, primary. */
  SERVED_BY: 'served_by',
} as const;
