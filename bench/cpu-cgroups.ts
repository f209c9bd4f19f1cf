import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * The scale phase's "one machine per database": each PostgreSQL node (its
 * postmaster and every backend it forks) in a CPU cgroup of its own with the
 * same quota. cgroup v1 (`cpu.cfs_quota_us`, `cpu.cfs_period_us`) or v2
 * (`cpu.max`), whichever has the cpu controller here and can be written
 * (root). Children inherit their parent's cgroup, so placing a postmaster
 * places the backends it forks later; the ones already running are placed
 * one by one.
 */

export interface CpuQuota {
  /** CPU time allowed per period, in µs. */
  readonly quotaUs: number;
  readonly periodUs: number;
}

export interface CpuCgroups {
  readonly kind: 'v1' | 'v2';
  readonly root: string;
  /** Creates (or reuses) the group `name` with the quota and moves every pid into it. A pid that has exited is skipped. */
  place(name: string, pids: readonly number[]): void;
  /** Per group made so far: CPU used by its processes now, and how often the quota stopped it. */
  usage(): Map<string, GroupUsage>;
  /** Moves every process back to the parent group and removes the groups. Idempotent. */
  remove(): void;
}

/** A group's counters at one moment (subtract two readings for an interval). */
export interface GroupUsage {
  /** CPU time of the processes in the group now (exited ones are not counted), ns. */
  readonly cpuNs: number;
  /** Quota periods so far, and those in which the quota ran out (the group waited for the next period). */
  readonly periods: number;
  readonly throttledPeriods: number;
}

/** The groups of this run, or null with the reason none can be made (not root, no cpu controller, read-only). */
export function openCpuCgroups(
  quota: CpuQuota,
  tag = `shardgate-bench-${process.pid}`,
): { groups: CpuCgroups } | { groups: null; reason: string } {
  const candidates: { kind: 'v1' | 'v2'; parent: string }[] = [];
  if (existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')) candidates.push({ kind: 'v1', parent: '/sys/fs/cgroup/cpu' });
  for (const dir of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    if (readText(join(dir, 'cgroup.controllers'))?.split(/\s+/).includes('cpu')) candidates.push({ kind: 'v2', parent: dir });
  }
  if (candidates.length === 0)
    return { groups: null, reason: 'no cgroup hierarchy with the cpu controller (neither v1 cpu nor v2 cpu.max)' };
  const failures: string[] = [];
  for (const { kind, parent } of candidates) {
    const root = join(parent, tag);
    try {
      mkdirSync(root, { recursive: true });
      if (kind === 'v2') writeFileSync(join(parent, 'cgroup.subtree_control'), '+cpu');
      if (kind === 'v2') writeFileSync(join(root, 'cgroup.subtree_control'), '+cpu');
      return { groups: makeGroups(kind, parent, root, quota) };
    } catch (err) {
      failures.push(`${kind} at ${parent}: ${(err as Error).message}`);
      tryRmdir(root);
    }
  }
  return { groups: null, reason: `cannot create a CPU cgroup (${failures.join('; ')})` };
}

function makeGroups(kind: 'v1' | 'v2', parent: string, root: string, quota: CpuQuota): CpuCgroups {
  const made = new Set<string>();
  let removed = false;
  return {
    kind,
    root,
    place(name, pids) {
      const dir = join(root, name.replace(/[^A-Za-z0-9_.-]/g, '_'));
      if (!made.has(dir)) {
        mkdirSync(dir, { recursive: true });
        if (kind === 'v1') {
          writeFileSync(join(dir, 'cpu.cfs_period_us'), String(quota.periodUs));
          writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota.quotaUs));
        } else {
          writeFileSync(join(dir, 'cpu.max'), `${quota.quotaUs} ${quota.periodUs}`);
        }
        made.add(dir);
      }
      for (const pid of pids) {
        try {
          writeFileSync(join(dir, 'cgroup.procs'), String(pid));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
      }
    },
    usage() {
      const out = new Map<string, GroupUsage>();
      for (const dir of made) {
        let cpuNs = 0;
        for (const pid of readText(join(dir, 'cgroup.procs'))?.split('\n').filter(Boolean) ?? []) {
          cpuNs += Number(readText(`/proc/${pid}/schedstat`)?.split(' ')[0] ?? 0) || 0;
        }
        const stat = new Map(
          (readText(join(dir, 'cpu.stat')) ?? '')
            .split('\n')
            .map((l) => l.split(' '))
            .map(([k, v]) => [k, Number(v)] as const),
        );
        out.set(dir.slice(root.length + 1), {
          cpuNs,
          periods: stat.get('nr_periods') ?? 0,
          throttledPeriods: stat.get('nr_throttled') ?? 0,
        });
      }
      return out;
    },
    remove() {
      if (removed) return;
      removed = true;
      for (const dir of [...made, root]) {
        for (const pid of readText(join(dir, 'cgroup.procs'))?.split('\n').filter(Boolean) ?? []) {
          try {
            writeFileSync(join(parent, 'cgroup.procs'), pid);
          } catch {
            // exited meanwhile
          }
        }
      }
      for (const dir of made) tryRmdir(dir);
      tryRmdir(root);
    },
  };
}

/** Groups left by an earlier run that died (their processes are gone, so they are empty), removed. */
export function removeStaleGroups(): void {
  for (const parent of ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    let entries: string[];
    try {
      entries = readdirSync(parent).filter((e) => e.startsWith('shardgate-bench-'));
    } catch {
      continue;
    }
    for (const e of entries) {
      const pid = Number(e.slice('shardgate-bench-'.length));
      if (existsSync(`/proc/${pid}`)) continue;
      const root = join(parent, e);
      for (const sub of safeReaddir(root)) tryRmdir(join(root, sub));
      tryRmdir(root);
    }
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
}

function tryRmdir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty or gone
  }
}
