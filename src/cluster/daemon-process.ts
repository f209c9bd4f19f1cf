import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { ClusterError } from './cluster-error.js';
import { type PgOwner, pgOwner } from './pg-owner.js';
import { isProcessAlive, processWithChildren, signalAll, waitForExit } from './postmaster-process.js';

/*
 * The long-running helpers of an `--ha patroni` cluster (etcd, one Patroni
 * per node), started in the background with their pid in a file, and found
 * and stopped again by that pid. Synchronous where it may be called from a
 * process 'exit' handler.
 */

export interface DaemonSpec {
  /** What it is, for messages: `etcd`, `Patroni of shard 0 primary`. */
  readonly what: string;
  readonly program: string;
  readonly args: readonly string[];
  readonly pidFile: string;
  readonly logFile: string;
  /** A string its command line contains (its config file, its data dir), so that a reused pid is not taken for it. */
  readonly marker: string;
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** The daemon's pid while it runs, else null (a stale pid file counts as none). */
export function runningDaemonPid(pidFile: string, marker: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return null;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes(marker)) return null;
  } catch {
    // no /proc: trust the pid file
  }
  return pid;
}

/**
 * Start the daemon in the background as the user that runs PostgreSQL, its
 * output appended to its log; return its pid. It is not this process's
 * child for long: it outlives a CLI that exits.
 */
export function startDaemon(d: DaemonSpec, owner: PgOwner = pgOwner()): number {
  const running = runningDaemonPid(d.pidFile, d.marker);
  if (running !== null) return running;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('PG') && !key.startsWith('LC_') && !key.startsWith('PATRONI')) env[key] = value;
  }
  Object.assign(env, { LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8', PYTHONUNBUFFERED: '1' }, d.env ?? {});
  const log = openSync(d.logFile, 'a');
  try {
    const child = spawn(d.program, [...d.args], {
      cwd: d.cwd,
      env,
      detached: true,
      stdio: ['ignore', log, log],
      ...(owner.uid !== null && owner.gid !== null ? { uid: owner.uid, gid: owner.gid } : {}),
    });
    // A spawn failure (ENOENT) arrives as an event; the caller's wait for readiness reports it.
    child.on('error', () => {});
    child.unref();
    if (child.pid === undefined) throw new ClusterError('COMMAND_FAILED', `starting ${d.what} failed: ${d.program} could not be run`);
    writeFileSync(d.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; wait until it and its children are gone. */
export async function stopDaemon(pidFile: string, marker: string, graceMs = 30_000): Promise<void> {
  const pid = runningDaemonPid(pidFile, marker);
  if (pid !== null) {
    const pids = processWithChildren(pid);
    signalAll([pid], 'SIGTERM');
    if (!(await waitForExit([pid], graceMs))) {
      signalAll(pids, 'SIGKILL');
      await waitForExit(pids, 5_000);
    }
  }
  try {
    unlinkSync(pidFile);
  } catch {
    // not there
  }
}

/** SIGKILL the daemon and its children at once, synchronously (exit handlers, crash tests); returns the pids killed. */
export function killDaemonSync(pidFile: string, marker: string): number[] {
  const pid = runningDaemonPid(pidFile, marker);
  if (pid === null) return [];
  const pids = processWithChildren(pid);
  signalAll(pids, 'SIGKILL');
  return pids;
}
