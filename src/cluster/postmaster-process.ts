import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';

/*
 * Finding and killing the processes of one node, synchronously, so that it
 * also works inside a process 'exit' handler. The postmaster's pid comes from
 * `postmaster.pid` in its data directory; /proc (Linux) confirms that the pid
 * still is that postmaster and lists its children. Without /proc the pid file
 * is trusted as is.
 */

/** The pid written in `<dataDir>/postmaster.pid`, whether or not it still runs. */
export function readPostmasterPid(dataDir: string): number | null {
  try {
    const first = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '';
    const pid = Number(first.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The pid of the postmaster serving `dataDir`, or null when none runs (a stale pid file counts as none). */
export function runningPostmasterPid(dataDir: string): number | null {
  const pid = readPostmasterPid(dataDir);
  if (pid === null || !isProcessAlive(pid)) return null;
  const cmdline = readProc(pid, 'cmdline');
  // A pid reused by another program after a crash must not count (nor be killed).
  if (cmdline !== null && !servesDataDir(cmdline.split('\0'), dataDir)) return null;
  return pid;
}

/** pg_ctl starts `postgres -D <dataDir>`; compare real paths, as D may have been named through a symlink. */
function servesDataDir(argv: readonly string[], dataDir: string): boolean {
  const given = argv[argv.indexOf('-D') + 1];
  if (!argv.includes('-D') || given === undefined) return false;
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(given) === real(dataDir);
}

/** Alive and not a zombie (an unreaped dead process still answers kill 0). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readProc(pid, 'stat');
  if (stat === null) return true;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** The pid and its direct children (a postmaster's backends and auxiliary processes). */
export function processWithChildren(pid: number): number[] {
  const pids = [pid];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProc(Number(entry), 'stat');
    if (stat === null) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) pids.push(Number(entry));
  }
  return pids;
}

export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Wait until none of the pids is alive; false when some still are after `timeoutMs`. */
export async function waitForExit(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (pids.every((pid) => !isProcessAlive(pid))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function readProc(pid: number, file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}
