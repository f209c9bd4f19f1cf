import type { ChildProcess } from 'node:child_process';
import { destroyClustersSync } from '../src/cluster/kill-cluster-sync.js';

/*
 * Throw-away clusters and child processes started by this process, killed
 * (by pid) and deleted when it ends however it ends: a failing test, an
 * uncaught error, Ctrl-C, or a test runner terminating the worker. The normal
 * path stops everything gracefully first and unregisters it; these handlers
 * are the safety net, synchronous because 'exit' cannot wait.
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

/** A child that must not outlive this process. Forgotten once it exits. */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  install();
}

/** Kill every tracked child (SIGKILL, by pid) and cluster, and delete the clusters' directories. */
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
    const handler = () => {
      cleanUpSync();
      process.off(signal, handler);
      // Someone else (vitest, the bench) handles this signal: let them. Otherwise die of it as we would have.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}
