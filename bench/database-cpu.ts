import { readFileSync } from 'node:fs';
import { postgresPids } from './cpu-pinning.js';

/** CPU time on record per PostgreSQL process of some clusters, at one moment. */
export type DatabaseCpuSnapshot = ReadonlyMap<number, number>;

/**
 * The CPU time (ns) of every PostgreSQL process of the clusters in `dirs`:
 * postmasters, backends, walsenders, walreceivers, startup and background
 * processes. From /proc/<pid>/schedstat (nanoseconds on CPU; PostgreSQL
 * processes have one thread). A process that exits between the listing and
 * the read is left out. Null when none could be read (no PostgreSQL
 * running, or a kernel without /proc/<pid>/schedstat): not measured, rather
 * than a misleading zero.
 */
export function snapshotDatabaseCpu(dirs: readonly string[]): DatabaseCpuSnapshot | null {
  const out = new Map<number, number>();
  for (const pid of dirs.flatMap((dir) => postgresPids(dir))) {
    const ns = cpuNanosOf(pid);
    if (ns !== null) out.set(pid, ns);
  }
  return out.size > 0 ? out : null;
}

/**
 * CPU (µs) the databases spent between two snapshots: the processes present
 * at the end, minus what each had at the start (a backend started in
 * between counts whole). A process that exited in between is lost: the
 * pools keep their connections, so under load that is rare.
 */
export function databaseCpuMicrosBetween(before: DatabaseCpuSnapshot, after: DatabaseCpuSnapshot): number {
  let ns = 0;
  for (const [pid, end] of after) ns += end - (before.get(pid) ?? 0);
  return ns / 1000;
}

function cpuNanosOf(pid: number): number | null {
  try {
    const first = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0];
    const ns = Number(first);
    return Number.isFinite(ns) ? ns : null;
  } catch {
    return null;
  }
}
