import { join } from 'node:path';
import { ClusterError } from './cluster-error.js';

/** What a local development cluster looks like. Stored as `D/cluster.json`. */
export interface ClusterSpec {
  /** The cluster directory D: data directories, logs, sockets, topology.json. */
  dir: string;
  shards: number;
  /** Streaming replicas per shard (0 is allowed). */
  replicas: number;
  /** Shard i's primary listens on `basePort + i*(replicas+1)`, its replica j on the ports right after it. */
  basePort: number;
  /** Turning it off makes a throw-away cluster much faster, at the price of losing data on a machine crash. @default true */
  fsync?: boolean;
  /** Database created on every primary and named in topology.json. @default 'shardgate' */
  dbname?: string;
  /**
   * Synchronous streaming replication: a commit is acknowledged once one
   * replica of its shard has it, so promoting a replica loses nothing. Needs
   * at least one replica per shard. @default false
   */
  synchronous?: boolean;
  /** Who runs the nodes: `pg_ctl` from this program, or Patroni with one local etcd. @default 'none' */
  ha?: HaMode;
  /**
   * Per shard, the member that is the primary now (see ClusterNode.member);
   * a switchover changes it. @default every shard's member 0
   */
  primaries?: readonly number[];
}

/** `none`: the nodes are plain postmasters started with pg_ctl; `patroni`: each node is run by Patroni. */
export type HaMode = 'none' | 'patroni';

export type NodeRole = 'primary' | 'replica';

/** One PostgreSQL server of the cluster, with everything derived from the spec. */
export interface ClusterNode {
  readonly shardId: number;
  /**
   * Which server of the shard this is, for good: member 0 was created as the
   * primary (directory `primary`, the shard's first port), member j+1 as
   * replica j (directory `replica-j`, the port after). Its data directory,
   * port and name never change; its role does, with a switchover.
   */
  readonly member: number;
  /** `shard0_node1`: its application_name for synchronous replication, its Patroni member name. */
  readonly name: string;
  /** Its role in the layout on disk (what the last switchover left), not necessarily what the server says. */
  readonly role: NodeRole;
  /** null for a primary. */
  readonly replicaIndex: number | null;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** `shard 1 replica 0`, for progress lines and errors. */
  readonly label: string;
}

/** Patroni's REST API port and etcd's ports of an `--ha patroni` cluster. */
export interface HaPorts {
  /** REST API port of each member, shard by shard, in member order. */
  readonly restApi: (shardId: number, member: number) => number;
  readonly etcdClient: number;
  readonly etcdPeer: number;
}

export const DEFAULT_DBNAME = 'shardgate';
export const HOST = '127.0.0.1';
/** Database names go into CREATE DATABASE, which takes no parameters: only this shape is accepted. */
export const DBNAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
const MAX_SHARDS = 64;
const MAX_REPLICAS = 8;

/** Throws ClusterError('BAD_SPEC') naming the bad field. */
export function validateSpec(spec: ClusterSpec): void {
  const bad = (message: string): never => {
    throw new ClusterError('BAD_SPEC', message);
  };
  if (!Number.isInteger(spec.shards) || spec.shards < 1 || spec.shards > MAX_SHARDS) {
    bad(`shards: expected an integer between 1 and ${MAX_SHARDS}, got ${spec.shards}`);
  }
  if (!Number.isInteger(spec.replicas) || spec.replicas < 0 || spec.replicas > MAX_REPLICAS) {
    bad(`replicas: expected an integer between 0 and ${MAX_REPLICAS}, got ${spec.replicas}`);
  }
  // Ports below 1024 need privileges the postgres user does not have.
  const last = lastPort(spec);
  if (!Number.isInteger(spec.basePort) || spec.basePort < 1024 || last > 65535) {
    bad(`base port: expected an integer from 1024 such that the last port (${last}) is at most 65535, got ${spec.basePort}`);
  }
  if (spec.synchronous === true && spec.replicas < 1) {
    bad('synchronous: synchronous replication needs at least one replica per shard (--replicas 1 or more)');
  }
  const ha = spec.ha ?? 'none';
  if (ha !== 'none' && ha !== 'patroni') bad(`ha: expected none or patroni, got "${String(ha)}"`);
  const primaries = spec.primaries;
  if (primaries !== undefined) {
    if (primaries.length !== spec.shards || primaries.some((m) => !Number.isInteger(m) || m < 0 || m > spec.replicas)) {
      bad(`primaries: expected one member index between 0 and ${spec.replicas} per shard, got [${primaries.join(', ')}]`);
    }
  }
  const dbname = spec.dbname ?? DEFAULT_DBNAME;
  if (!DBNAME_PATTERN.test(dbname)) {
    bad(`dbname: expected lower-case letters, digits and _ (not first), at most 63 characters, got "${dbname}"`);
  }
}

export function nodesPerShard(spec: Pick<ClusterSpec, 'replicas'>): number {
  return spec.replicas + 1;
}

/** The last port the cluster uses: its last PostgreSQL node, or with Patroni etcd's peer port. */
export function lastPort(spec: Pick<ClusterSpec, 'shards' | 'replicas' | 'basePort' | 'ha'>): number {
  const postgres = spec.shards * nodesPerShard(spec);
  return spec.basePort + ((spec.ha ?? 'none') === 'patroni' ? 2 * postgres + 2 : postgres) - 1;
}

/** How many consecutive ports from the base port the cluster uses. */
export function portCount(spec: Pick<ClusterSpec, 'shards' | 'replicas' | 'basePort' | 'ha'>): number {
  return lastPort(spec) - spec.basePort + 1;
}

/** The PostgreSQL port of the shard's highest node (sockets are sized for it). */
export function lastPgPort(spec: Pick<ClusterSpec, 'shards' | 'replicas' | 'basePort'>): number {
  return spec.basePort + spec.shards * nodesPerShard(spec) - 1;
}

/**
 * With Patroni, the ports after the PostgreSQL ones: one REST API port per
 * node in the same order (node k's PostgreSQL port + shards*(replicas+1)),
 * then etcd's client port and its peer port.
 */
export function haPorts(spec: Pick<ClusterSpec, 'shards' | 'replicas' | 'basePort'>): HaPorts {
  const postgres = spec.shards * nodesPerShard(spec);
  return {
    restApi: (shardId, member) => spec.basePort + postgres + shardId * nodesPerShard(spec) + member,
    etcdClient: spec.basePort + 2 * postgres,
    etcdPeer: spec.basePort + 2 * postgres + 1,
  };
}

/**
 * The ports a cluster is created with: primary at `base + i*(replicas+1)`,
 * replica j at `base + i*(replicas+1) + 1 + j`. A switchover swaps roles, not
 * ports: see nodeOf for where each role is now.
 */
export function portOf(
  spec: Pick<ClusterSpec, 'replicas' | 'basePort'>,
  shardId: number,
  role: NodeRole,
  replicaIndex: number | null = null,
): number {
  const primary = spec.basePort + shardId * nodesPerShard(spec);
  return role === 'primary' ? primary : primary + 1 + (replicaIndex ?? 0);
}

export function shardDir(dir: string, shardId: number): string {
  return join(dir, `shard-${shardId}`);
}

/** Unix sockets of every node live here rather than in /var/run/postgresql, which may not exist or be writable. */
export function socketDir(dir: string): string {
  return join(dir, 'run');
}

/** Per shard, the member that is the primary now. */
export function primaryMembers(spec: Pick<ClusterSpec, 'shards' | 'primaries'>): number[] {
  return Array.from({ length: spec.shards }, (_, i) => spec.primaries?.[i] ?? 0);
}

/** Every node, shard by shard, the primary before its replicas. */
export function clusterNodes(spec: ClusterSpec): ClusterNode[] {
  const nodes: ClusterNode[] = [];
  for (let shardId = 0; shardId < spec.shards; shardId++) {
    nodes.push(nodeOf(spec, shardId, 'primary'));
    for (let j = 0; j < spec.replicas; j++) nodes.push(nodeOf(spec, shardId, 'replica', j));
  }
  return nodes;
}

/** The shard's nodes in member order (0 first), whatever their roles. */
export function shardMembers(spec: ClusterSpec, shardId: number): ClusterNode[] {
  return clusterNodes(spec)
    .filter((n) => n.shardId === shardId)
    .sort((a, b) => a.member - b.member);
}

/**
 * The node that has this role in the layout now, or ClusterError('BAD_SPEC')
 * when the cluster has no such node. Replica j is the j-th member, in member
 * order, that is not the primary.
 */
export function nodeOf(spec: ClusterSpec, shardId: number, role: NodeRole, replicaIndex?: number | null): ClusterNode {
  const index = role === 'primary' ? null : (replicaIndex ?? 0);
  if (!Number.isInteger(shardId) || shardId < 0 || shardId >= spec.shards) {
    throw new ClusterError('BAD_SPEC', `no shard ${shardId}: the cluster has shards 0..${spec.shards - 1}`);
  }
  if (index !== null && (!Number.isInteger(index) || index < 0 || index >= spec.replicas)) {
    throw new ClusterError('BAD_SPEC', `no replica ${index} in shard ${shardId}: the cluster has ${spec.replicas} replica(s) per shard`);
  }
  const primary = primaryMembers(spec)[shardId] ?? 0;
  const member = index === null ? primary : index < primary ? index : index + 1;
  return memberNode(spec, shardId, member, role, index);
}

/** The node that is member `member` of the shard, with its role in the layout. */
export function memberOf(spec: ClusterSpec, shardId: number, member: number): ClusterNode {
  const primary = primaryMembers(spec)[shardId] ?? 0;
  if (member === primary) return memberNode(spec, shardId, member, 'primary', null);
  return memberNode(spec, shardId, member, 'replica', member < primary ? member : member - 1);
}

function memberNode(spec: ClusterSpec, shardId: number, member: number, role: NodeRole, replicaIndex: number | null): ClusterNode {
  // Directories and ports belong to the member: they were named after the role it was created with.
  const dirName = member === 0 ? 'primary' : `replica-${member - 1}`;
  return {
    shardId,
    member,
    name: `shard${shardId}_node${member}`,
    role,
    replicaIndex,
    port: spec.basePort + shardId * nodesPerShard(spec) + member,
    dataDir: join(shardDir(spec.dir, shardId), dirName),
    logFile: join(shardDir(spec.dir, shardId), `${dirName}.log`),
    label: replicaIndex === null ? `shard ${shardId} primary` : `shard ${shardId} replica ${replicaIndex}`,
  };
}

/** The topology file for this cluster (no password: the dev cluster trusts 127.0.0.1). */
export function topologyOf(spec: ClusterSpec, dbname: string = spec.dbname ?? DEFAULT_DBNAME) {
  const endpoint = (port: number) => ({ host: HOST, port, user: 'postgres', password: '', dbname });
  // The roles of the layout: after a switchover the new primary is named as such.
  return {
    shards: Array.from({ length: spec.shards }, (_, shardId) => ({
      shardId,
      primary: endpoint(nodeOf(spec, shardId, 'primary').port),
      replicas: Array.from({ length: spec.replicas }, (_, j) => endpoint(nodeOf(spec, shardId, 'replica', j).port)),
    })),
  };
}

/**
 * The fields of `wanted` that contradict the layout an existing cluster was
 * created with, as `shards 3 (cluster has 2)`. fsync is not compared: it is a
 * speed setting chosen when the cluster is created and kept afterwards; nor is
 * synchronous, which `up --synchronous` may turn on for an existing cluster.
 */
export function layoutDifferences(existing: ClusterSpec, wanted: ClusterSpec): string[] {
  const diffs: string[] = [];
  if (existing.shards !== wanted.shards) diffs.push(`--shards ${wanted.shards} (cluster has ${existing.shards})`);
  if (existing.replicas !== wanted.replicas) diffs.push(`--replicas ${wanted.replicas} (cluster has ${existing.replicas})`);
  if (existing.basePort !== wanted.basePort) diffs.push(`--base-port ${wanted.basePort} (cluster has ${existing.basePort})`);
  const a = existing.dbname ?? DEFAULT_DBNAME;
  const b = wanted.dbname ?? DEFAULT_DBNAME;
  if (a !== b) diffs.push(`dbname ${b} (cluster has ${a})`);
  const haA = existing.ha ?? 'none';
  const haB = wanted.ha ?? 'none';
  if (haA !== haB) diffs.push(`--ha ${haB} (cluster has ${haA})`);
  return diffs;
}
