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
}

export type NodeRole = 'primary' | 'replica';

/** One PostgreSQL server of the cluster, with everything derived from the spec. */
export interface ClusterNode {
  readonly shardId: number;
  readonly role: NodeRole;
  /** null for a primary. */
  readonly replicaIndex: number | null;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** `shard 1 replica 0`, for progress lines and errors. */
  readonly label: string;
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
  const dbname = spec.dbname ?? DEFAULT_DBNAME;
  if (!DBNAME_PATTERN.test(dbname)) {
    bad(`dbname: expected lower-case letters, digits and _ (not first), at most 63 characters, got "${dbname}"`);
  }
}

export function nodesPerShard(spec: Pick<ClusterSpec, 'replicas'>): number {
  return spec.replicas + 1;
}

export function lastPort(spec: Pick<ClusterSpec, 'shards' | 'replicas' | 'basePort'>): number {
  return spec.basePort + spec.shards * nodesPerShard(spec) - 1;
}

/** The documented port layout: primary at `base + i*(replicas+1)`, replica j at `base + i*(replicas+1) + 1 + j`. */
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

/** Every node, shard by shard, the primary before its replicas. */
export function clusterNodes(spec: ClusterSpec): ClusterNode[] {
  const nodes: ClusterNode[] = [];
  for (let shardId = 0; shardId < spec.shards; shardId++) {
    nodes.push(nodeOf(spec, shardId, 'primary'));
    for (let j = 0; j < spec.replicas; j++) nodes.push(nodeOf(spec, shardId, 'replica', j));
  }
  return nodes;
}

/** The node, or ClusterError('BAD_SPEC') when the cluster has no such node. */
export function nodeOf(spec: ClusterSpec, shardId: number, role: NodeRole, replicaIndex?: number | null): ClusterNode {
  const index = role === 'primary' ? null : (replicaIndex ?? 0);
  if (!Number.isInteger(shardId) || shardId < 0 || shardId >= spec.shards) {
    throw new ClusterError('BAD_SPEC', `no shard ${shardId}: the cluster has shards 0..${spec.shards - 1}`);
  }
  if (index !== null && (!Number.isInteger(index) || index < 0 || index >= spec.replicas)) {
    throw new ClusterError('BAD_SPEC', `no replica ${index} in shard ${shardId}: the cluster has ${spec.replicas} replica(s) per shard`);
  }
  const name = index === null ? 'primary' : `replica-${index}`;
  return {
    shardId,
    role,
    replicaIndex: index,
    port: portOf(spec, shardId, role, index),
    dataDir: join(shardDir(spec.dir, shardId), name),
    logFile: join(shardDir(spec.dir, shardId), `${name}.log`),
    label: index === null ? `shard ${shardId} primary` : `shard ${shardId} replica ${index}`,
  };
}

/** The topology file for this cluster (no password: the dev cluster trusts 127.0.0.1). */
export function topologyOf(spec: ClusterSpec, dbname: string = spec.dbname ?? DEFAULT_DBNAME) {
  const endpoint = (port: number) => ({ host: HOST, port, user: 'postgres', password: '', dbname });
  return {
    shards: Array.from({ length: spec.shards }, (_, shardId) => ({
      shardId,
      primary: endpoint(portOf(spec, shardId, 'primary')),
      replicas: Array.from({ length: spec.replicas }, (_, j) => endpoint(portOf(spec, shardId, 'replica', j))),
    })),
  };
}

/**
 * The fields of `wanted` that contradict the layout an existing cluster was
 * created with, as `shards 3 (cluster has 2)`. fsync is not compared: it is a
 * speed setting chosen when the cluster is created and kept afterwards.
 */
export function layoutDifferences(existing: ClusterSpec, wanted: ClusterSpec): string[] {
  const diffs: string[] = [];
  if (existing.shards !== wanted.shards) diffs.push(`--shards ${wanted.shards} (cluster has ${existing.shards})`);
  if (existing.replicas !== wanted.replicas) diffs.push(`--replicas ${wanted.replicas} (cluster has ${existing.replicas})`);
  if (existing.basePort !== wanted.basePort) diffs.push(`--base-port ${wanted.basePort} (cluster has ${existing.basePort})`);
  const a = existing.dbname ?? DEFAULT_DBNAME;
  const b = wanted.dbname ?? DEFAULT_DBNAME;
  if (a !== b) diffs.push(`dbname ${b} (cluster has ${a})`);
  return diffs;
}
