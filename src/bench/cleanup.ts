import type { ChildProcess } from 'node:child_process';
import { destroyClustersSync } from '../cluster/kill-cluster-sync.js';

/*
 * What the bench started — its PostgreSQL clusters and its child processes —
 * killed and deleted however the run ends: an error, Ctrl-C, SIGTERM from a
 * test runner. The normal path stops everything gracefully first and
 * unregisters it; these synchronous handlers are the safety net, because
 * 'exit' and signal handlers cannot wait.
 */

const clusterDirs = new Set<string>();
const children = new Set<ChildProcess>();
let installed = false;

export function trackClusterDir(dir: string): void {
  clusterDirs.add(dir);
  install();
}

export function untrackClusterDir(dir: string): void {
  clusterDirs.delete(dir);
}

export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  install();
}

/** Kill every tracked child (by its pid) and cluster, and delete the clusters' directories. */
export function cleanUpSync(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  destroyClustersSync(clusterDirs);
  clusterDirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanUpSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping servers and clusters...\n`);
      cleanUpSync();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}
