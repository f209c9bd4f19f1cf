import { destroyClustersSync } from '../../src/cluster/kill-cluster-sync.js';

/*
 * Clusters booted by this process, killed and deleted when it ends however
 * it ends: a failing test, an uncaught error, Ctrl-C or vitest terminating
 * the worker. The handlers are synchronous because 'exit' cannot wait.
 */

const dirs = new Set<string>();
let installed = false;

export function registerClusterDir(dir: string): void {
  dirs.add(dir);
  installHandlers();
}

export function unregisterClusterDir(dir: string): void {
  dirs.delete(dir);
}

/** Kill every registered cluster's processes and delete its directory. */
export function cleanUpAllSync(): void {
  destroyClustersSync(dirs);
  dirs.clear();
}

function installHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanUpAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      cleanUpAllSync();
      process.off(signal, handler);
      // Someone else (vitest) handles this signal: let them. Otherwise die of it as we would have.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}
