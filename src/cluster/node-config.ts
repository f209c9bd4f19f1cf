/*
 * The configuration each node gets, as text appended to postgresql.conf
 * (later settings win) and a pg_hba.conf that replaces initdb's. Pure, so the
 * exact settings are visible in one place and unit-tested.
 */

/** Marks a primary whose configuration was written, i.e. whose initdb completed. */
export const PRIMARY_MARKER = '# shardgate: primary settings';
/** Marks a replica whose clone completed and whose own port was set. */
export const REPLICA_MARKER = '# shardgate: replica settings';

/** Longest unix socket path the kernel accepts (sun_path is 108 bytes with the NUL). */
const MAX_SOCKET_PATH = 107;

export interface PrimaryConfigOptions {
  readonly port: number;
  /** The node's name (ClusterNode.name): its application_name when it streams, for synchronous_standby_names. */
  readonly name: string;
  /** '' for no unix socket at all. */
  readonly socketDir: string;
  readonly fsync: boolean;
  readonly replicas: number;
}

export function primaryConfig(o: PrimaryConfigOptions): string {
  const lines = [
    '',
    PRIMARY_MARKER,
    // Only loopback: this is a local development cluster with trust authentication.
    "listen_addresses = '127.0.0.1'",
    `port = ${o.port}`,
    // A walreceiver without application_name in primary_conninfo presents this name to its primary.
    `cluster_name = ${quote(o.name)}`,
    // Inside the cluster directory: /var/run/postgresql may not exist or be writable.
    `unix_socket_directories = ${quote(o.socketDir)}`,
    'wal_level = replica',
    // pg_rewind, which turns an old primary into a replica of the new one after a switchover, needs it.
    'wal_log_hints = on',
    `max_wal_senders = ${o.replicas + 5}`,
    // Keeps enough WAL for a replica stopped for a while (failure tests) to catch up by streaming.
    "wal_keep_size = '256MB'",
    'hot_standby = on',
    // Several clusters may run at once (tests): keep each one small.
    "shared_buffers = '16MB'",
    'max_connections = 100',
    "min_wal_size = '32MB'",
    "max_wal_size = '256MB'",
    // A test that takes a node down can leave idle transactions; don't let them pin WAL forever.
    "idle_in_transaction_session_timeout = '10min'",
  ];
  if (!o.fsync) {
    // Throw-away clusters only: a machine crash may corrupt the data, which is
    // fine for tests. synchronous_commit stays on: a crashed or killed server
    // (not machine) must keep every commit it acknowledged, as the fault tests
    // check, and a synchronous cluster's commits must wait for the replica.
    // full_page_writes stays on too: pg_rewind refuses to work without it.
    lines.push('fsync = off');
  }
  return `${lines.join('\n')}\n`;
}

/** Appended after the primary's settings copied by pg_basebackup: the replica has its own port and name. */
export function replicaConfig(port: number, name: string): string {
  return `\n${REPLICA_MARKER}\nport = ${port}\ncluster_name = ${quote(name)}\n`;
}

/**
 * What a node created by an older shardgate lacks for synchronous
 * replication and pg_rewind, appended (later settings win) before it starts;
 * '' when its configuration has it all.
 */
export function missingNodeSettings(conf: string, name: string): string {
  if (/^\s*cluster_name\s*=/m.test(conf)) return '';
  return `\n# shardgate: settings added for switchovers\ncluster_name = ${quote(name)}\nwal_log_hints = on\nfull_page_writes = on\n`;
}

/**
 * The value of synchronous_standby_names for a primary whose standbys are
 * `names`: any one of them must have a commit before it is acknowledged.
 * '' (no synchronous standby) when there are none.
 */
export function synchronousStandbyNames(names: readonly string[]): string {
  if (names.length === 0) return '';
  return `ANY 1 (${names.map((n) => `"${n.replace(/"/g, '""')}"`).join(', ')})`;
}

/**
 * A local development cluster: every database and replication connection
 * from 127.0.0.1 is trusted, no password. Never expose these nodes beyond
 * loopback (listen_addresses is 127.0.0.1 only).
 */
export function pgHbaConfig(): string {
  return [
    '# shardgate local development cluster: trust on loopback only.',
    '# TYPE  DATABASE     USER  ADDRESS        METHOD',
    'local   all          all                  trust',
    'host    all          all   127.0.0.1/32   trust',
    'local   replication  all                  trust',
    'host    replication  all   127.0.0.1/32   trust',
    '',
  ].join('\n');
}

/**
 * The socket directory to configure: `dir` unless its socket path for the
 * highest port would be too long for the kernel, then none (TCP only;
 * pg_ctl -w does not need the socket).
 */
export function socketDirFor(dir: string, highestPort: number): string {
  return Buffer.byteLength(`${dir}/.s.PGSQL.${highestPort}`) <= MAX_SOCKET_PATH ? dir : '';
}

/** A postgresql.conf string literal. */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
