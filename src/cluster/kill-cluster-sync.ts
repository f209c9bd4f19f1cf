import { rmSync } from 'node:fs';
import { readClusterSpecSync } from './cluster-files.js';
import { clusterNodes } from './cluster-layout.js';
import { killDaemonSync } from './daemon-process.js';
import { etcdMarker, etcdPidFile, patroniMarker, patroniPidFile } from './patroni-daemons.js';
import { isProcessAlive, processWithChildren, runningPostmasterPid, signalAll } from './postmaster-process.js';

/**
 * Kill every PostgreSQL process of the cluster in D, synchronously: for
 * process 'exit' and signal handlers, where nothing can be awaited. SIGQUIT
 * (immediate shutdown) to each postmaster and its children, a short wait,
 * then SIGKILL for whatever is left. No clean shutdown: this is for
 * throw-away clusters whose data is about to be deleted. With Patroni, the
 * Patronis are killed first (they would restart their PostgreSQL), etcd last.
 */
export function killClusterSync(dir: string, graceMs = 2_000): void {
  let spec;
  try {
    spec = readClusterSpecSync(dir);
  } catch {
    return;
  }
  if (spec === null) return;
  const daemons: number[] = [];
  if (spec.ha === 'patroni') {
    for (const node of clusterNodes(spec)) daemons.push(...killDaemonSync(patroniPidFile(spec, node), patroniMarker(node)));
  }
  const pids: number[] = [];
  for (const node of clusterNodes(spec)) {
    const pid = runningPostmasterPid(node.dataDir);
    if (pid !== null) pids.push(...processWithChildren(pid));
  }
  if (pids.length > 0) {
    signalAll(pids, 'SIGQUIT');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && pids.some(isProcessAlive)) sleepSync(20);
    signalAll(pids.filter(isProcessAlive), 'SIGKILL');
  }
  if (spec.ha === 'patroni') daemons.push(...killDaemonSync(etcdPidFile(spec), etcdMarker(spec)));
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && [...pids, ...daemons].some(isProcessAlive)) sleepSync(20);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Kill and delete each throw-away cluster, best effort: one that fails does not stop the others. */
export function destroyClustersSync(dirs: Iterable<string>): void {
  for (const dir of dirs) {
    try {
      killClusterSync(dir);
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // keep going with the other clusters
    }
  }
}
