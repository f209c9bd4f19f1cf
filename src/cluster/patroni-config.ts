import { basename, dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { type ClusterNode, type ClusterSpec, HOST, haPorts, shardDir, socketDir } from './cluster-layout.js';

/*
 * The configuration of each Patroni of an `--ha patroni` cluster. Pure, so
 * the settings are visible in one place and unit-tested.
 *
 * Timing: the leader key lives `ttl` seconds and the leader renews it every
 * `loop_wait`; a replica promotes itself once the key has expired, so a
 * crashed leader is replaced after about `ttl` (Patroni requires
 * loop_wait + 2*retry_timeout <= ttl).
 */

export const PATRONI_TIMING = { ttl: 10, loopWait: 1, retryTimeout: 3 } as const;

/** The shard's Patroni cluster name (its "scope" in etcd). */
export function patroniScope(shardId: number): string {
  return `shard${shardId}`;
}

export const PATRONI_NAMESPACE = '/shardgate/';

export function patroniConfigPath(node: ClusterNode): string {
  return join(dirname(node.dataDir), `${basename(node.dataDir)}.patroni.yml`);
}

export function patroniLogPath(node: ClusterNode): string {
  return join(dirname(node.dataDir), `${basename(node.dataDir)}.patroni.log`);
}

export interface PatroniConfigOptions {
  /** Directory of the PostgreSQL programs. */
  readonly binDir: string;
  /** Unix socket directory, '' for none. */
  readonly socketDir: string;
}

/** The YAML Patroni runs this node with. */
export function patroniConfig(spec: ClusterSpec, node: ClusterNode, o: PatroniConfigOptions): string {
  const ports = haPorts(spec);
  const restApi = `${HOST}:${ports.restApi(node.shardId, node.member)}`;
  const fsync = spec.fsync !== false;
  const synchronous = spec.synchronous === true;
  // Cluster-wide settings, written to etcd by the node that bootstraps the shard.
  const shared: Record<string, string | number> = {
    wal_level: 'replica',
    // pg_rewind (use_pg_rewind) needs it to turn a failed leader into a replica.
    wal_log_hints: 'on',
    hot_standby: 'on',
    max_connections: 100,
    max_wal_senders: spec.replicas + 5,
    max_replication_slots: spec.replicas + 5,
    wal_keep_size: '256MB',
    shared_buffers: '16MB',
    min_wal_size: '32MB',
    max_wal_size: '256MB',
    idle_in_transaction_session_timeout: '10min',
  };
  // Without fsync (throw-away clusters), commits still wait for the local WAL write, and with
  // synchronous_mode for a replica: a killed server keeps what it acknowledged.
  if (!fsync) shared['fsync'] = 'off';
  const hba = [
    'local all all trust',
    `host all all ${HOST}/32 trust`,
    'local replication all trust',
    `host replication all ${HOST}/32 trust`,
  ];
  const config = {
    scope: patroniScope(node.shardId),
    namespace: PATRONI_NAMESPACE,
    name: node.name,
    log: { level: 'INFO' },
    restapi: { listen: restApi, connect_address: restApi },
    etcd3: { hosts: [`${HOST}:${ports.etcdClient}`] },
    bootstrap: {
      dcs: {
        ttl: PATRONI_TIMING.ttl,
        loop_wait: PATRONI_TIMING.loopWait,
        retry_timeout: PATRONI_TIMING.retryTimeout,
        // A replica further behind than this never becomes leader (it would lose acknowledged writes).
        maximum_lag_on_failover: 1024 * 1024,
        synchronous_mode: synchronous,
        postgresql: { use_pg_rewind: true, use_slots: true, parameters: shared },
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C' }, { auth: 'trust' }, ...(fsync ? [] : ['no-sync'])],
    },
    postgresql: {
      listen: `${HOST}:${node.port}`,
      connect_address: `${HOST}:${node.port}`,
      data_dir: node.dataDir,
      bin_dir: o.binDir,
      pgpass: join(socketDir(spec.dir), `pgpass.${node.name}`),
      authentication: {
        superuser: { username: 'postgres' },
        replication: { username: 'postgres' },
        rewind: { username: 'postgres' },
      },
      // Per node: where the sockets and the server log go (the log beside the data directory, as without Patroni).
      parameters: {
        unix_socket_directories: o.socketDir,
        logging_collector: 'on',
        log_directory: shardDir(spec.dir, node.shardId),
        log_filename: basename(node.logFile),
      },
      pg_hba: hba,
      basebackup: [{ checkpoint: 'fast' }],
    },
    watchdog: { mode: 'off' },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
  return `# Written by shardgate cluster up --ha patroni; rewritten on every up.\n${stringify(config)}`;
}

/** etcd's command line: one member, everything on 127.0.0.1, data in D/etcd. */
export function etcdArgs(spec: ClusterSpec): string[] {
  const ports = haPorts(spec);
  const client = `http://${HOST}:${ports.etcdClient}`;
  const peer = `http://${HOST}:${ports.etcdPeer}`;
  return [
    '--name',
    'shardgate',
    '--data-dir',
    etcdDataDir(spec),
    '--listen-client-urls',
    client,
    '--advertise-client-urls',
    client,
    '--listen-peer-urls',
    peer,
    '--initial-advertise-peer-urls',
    peer,
    '--initial-cluster',
    `shardgate=${peer}`,
    '--initial-cluster-state',
    'new',
  ];
}

export function etcdDataDir(spec: ClusterSpec): string {
  return join(spec.dir, 'etcd');
}
