import { readFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ClusterError } from './cluster-error.js';
import { type ClusterSpec, DEFAULT_DBNAME, type HaMode, topologyOf } from './cluster-layout.js';

/*
 * `D/cluster.json` remembers the spec a cluster was created with, so that
 * `up`, `down` and `status` on D need only D, and the roles the last
 * switchover left, so that `up` after a `down` starts every node in its
 * current role. `D/topology.json` is the gateway's topology file.
 */

interface ClusterFile {
  readonly version: 1;
  readonly shards: number;
  readonly replicas: number;
  readonly basePort: number;
  readonly fsync: boolean;
  readonly dbname: string;
  /** Absent in files written before these existed: false, 'none', every shard's member 0. */
  readonly synchronous?: boolean;
  readonly ha?: HaMode;
  readonly primaries?: readonly number[];
}

export function clusterFilePath(dir: string): string {
  return join(dir, 'cluster.json');
}

export function topologyPath(dir: string): string {
  return join(dir, 'topology.json');
}

/** The spec stored in D, with `dir` set to D resolved; null when D holds no cluster. */
export async function readClusterSpec(dir: string): Promise<ClusterSpec | null> {
  const file = clusterFilePath(dir);
  try {
    return parseClusterFile(await readFile(file, 'utf8'), file, dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** readClusterSpec for process 'exit' handlers, which cannot wait. */
export function readClusterSpecSync(dir: string): ClusterSpec | null {
  const file = clusterFilePath(dir);
  try {
    return parseClusterFile(readFileSync(file, 'utf8'), file, dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function parseClusterFile(text: string, file: string, dir: string): ClusterSpec {
  let data: Partial<ClusterFile>;
  try {
    data = JSON.parse(text) as Partial<ClusterFile>;
  } catch {
    throw new ClusterError('NOT_A_CLUSTER', `${file} is not valid JSON; remove the directory and run \`cluster up\` again`);
  }
  const int = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
  if (!int(data.shards) || !int(data.replicas) || !int(data.basePort)) {
    throw new ClusterError(
      'NOT_A_CLUSTER',
      `${file} lacks shards, replicas or basePort; remove the directory and run \`cluster up\` again`,
    );
  }
  return {
    dir: resolve(dir),
    shards: data.shards as number,
    replicas: data.replicas as number,
    basePort: data.basePort as number,
    fsync: data.fsync !== false,
    dbname: typeof data.dbname === 'string' ? data.dbname : DEFAULT_DBNAME,
    synchronous: data.synchronous === true,
    ha: data.ha === 'patroni' ? 'patroni' : 'none',
    primaries: parsePrimaries(data.primaries, data.shards as number, data.replicas as number, file),
  };
}

function parsePrimaries(value: unknown, shards: number, replicas: number, file: string): number[] {
  if (value === undefined) return Array.from({ length: shards }, () => 0);
  const ok =
    Array.isArray(value) &&
    value.length === shards &&
    value.every((m) => typeof m === 'number' && Number.isInteger(m) && m >= 0 && m <= replicas);
  if (!ok) throw new ClusterError('NOT_A_CLUSTER', `${file}: primaries must name one member (0..${replicas}) per shard`);
  return [...(value as number[])];
}

/** Like readClusterSpec, but a missing cluster is an error naming D. */
export async function requireClusterSpec(dir: string): Promise<ClusterSpec> {
  const spec = await readClusterSpec(dir);
  if (spec === null) {
    throw new ClusterError(
      'NOT_A_CLUSTER',
      `no cluster in ${resolve(dir)} (no cluster.json); create one with \`shardgate cluster up --dir ${dir}\``,
    );
  }
  return spec;
}

export async function writeClusterSpec(spec: ClusterSpec): Promise<void> {
  const data: ClusterFile = {
    version: 1,
    shards: spec.shards,
    replicas: spec.replicas,
    basePort: spec.basePort,
    fsync: spec.fsync !== false,
    dbname: spec.dbname ?? DEFAULT_DBNAME,
    synchronous: spec.synchronous === true,
    ha: spec.ha ?? 'none',
    primaries: Array.from({ length: spec.shards }, (_, i) => spec.primaries?.[i] ?? 0),
  };
  await writeAtomically(clusterFilePath(spec.dir), `${JSON.stringify(data, null, 2)}\n`);
}

/**
 * Record that the shard's primary is now `member`, in cluster.json and in
 * topology.json, and return the updated spec.
 */
export async function recordPrimary(spec: ClusterSpec, shardId: number, member: number): Promise<ClusterSpec> {
  const primaries = Array.from({ length: spec.shards }, (_, i) => (i === shardId ? member : (spec.primaries?.[i] ?? 0)));
  const updated: ClusterSpec = { ...spec, primaries };
  await writeClusterSpec(updated);
  await writeTopology(updated);
  return updated;
}

/** Write D/topology.json and return its path. */
export async function writeTopology(spec: ClusterSpec): Promise<string> {
  const path = topologyPath(spec.dir);
  await writeAtomically(path, `${JSON.stringify(topologyOf(spec), null, 2)}\n`);
  return path;
}

/** A reader (the gateway, a test) never sees half a file. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}
