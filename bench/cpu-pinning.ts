import { execFileSync } from 'node:child_process';
import { readClusterSpecSync } from '../src/cluster/cluster-files.js';
import { clusterNodes } from '../src/cluster/cluster-layout.js';
import { processWithChildren, runningPostmasterPid } from '../src/cluster/postmaster-process.js';

/*
 * The pinned phase of the bench: PostgreSQL on one core, the servers on
 * another, so that a server's throughput is bounded by its own CPU per
 * request and not by how the kernel interleaves it with the databases it
 * fans out to. Affinity is set with taskset (util-linux) on running
 * processes; a postmaster's future backends inherit its mask.
 */

/** Which CPUs (taskset lists, e.g. "0" or "2-7") each kind of process gets. */
export interface PinningPlan {
  /** Every PostgreSQL process of both clusters. */
  readonly databases: string;
  /** The server under load (gateway, baseline, control), one at a time. */
  readonly servers: string;
  /** The load generator: beside the databases on 2 cores, else on cores of its own. */
  readonly load: string;
}

/** Null, with the reason, when the machine cannot keep the servers apart from the databases. */
export function planPinning(cores: number, hasTaskset: boolean): { plan: PinningPlan } | { plan: null; reason: string } {
  if (!hasTaskset) return { plan: null, reason: 'taskset (util-linux) is not installed' };
  if (cores < 2) return { plan: null, reason: `${cores} core: nothing to keep apart` };
  if (cores === 2) return { plan: { databases: '0', servers: '1', load: '0' } };
  return { plan: { databases: '0', servers: '1', load: cores === 3 ? '2' : `2-${cores - 1}` } };
}

export function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Every CPU of the machine, as a taskset list: to undo a pinning. */
export function allCpus(cores: number): string {
  return cores === 1 ? '0' : `0-${cores - 1}`;
}

/**
 * Sets the CPU affinity of every thread of each pid. A pid that has exited
 * in the meantime (a PostgreSQL backend closing) is skipped; any other
 * failure throws.
 */
export function pinPids(pids: readonly number[], cpus: string): void {
  for (const pid of pids) {
    try {
      execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      const stderr = String((err as { stderr?: Buffer }).stderr ?? '');
      if (/No such process|failed to get pid/i.test(stderr)) continue;
      throw new Error(`taskset -a -p -c ${cpus} ${pid} failed: ${stderr.trim() || (err as Error).message}`);
    }
  }
}

/** The postmasters of a local cluster and their children (backends, walsenders, background workers). */
export function postgresPids(clusterDir: string): number[] {
  const spec = readClusterSpecSync(clusterDir);
  if (spec === null) return [];
  const pids: number[] = [];
  for (const node of clusterNodes(spec)) {
    const pid = runningPostmasterPid(node.dataDir);
    if (pid !== null) pids.push(...processWithChildren(pid));
  }
  return pids;
}
