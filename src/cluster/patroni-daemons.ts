import { join } from 'node:path';
import type { ClusterNode, ClusterSpec } from './cluster-layout.js';
import { socketDir } from './cluster-layout.js';
import type { DaemonSpec } from './daemon-process.js';
import type { HaPrograms } from './find-ha-programs.js';
import { etcdArgs, etcdDataDir, patroniConfigPath, patroniLogPath } from './patroni-config.js';

/*
 * Where the pid files of an `--ha patroni` cluster's daemons live, and how
 * each is started. The markers (config path, data dir) are what their
 * command lines contain, so that a reused pid is never taken for them.
 */

export function etcdPidFile(spec: ClusterSpec): string {
  return join(socketDir(spec.dir), 'etcd.pid');
}

export function patroniPidFile(spec: ClusterSpec, node: ClusterNode): string {
  return join(socketDir(spec.dir), `patroni.${node.name}.pid`);
}

export function etcdMarker(spec: ClusterSpec): string {
  return etcdDataDir(spec);
}

export function patroniMarker(node: ClusterNode): string {
  return patroniConfigPath(node);
}

export function etcdDaemon(spec: ClusterSpec, programs: HaPrograms): DaemonSpec {
  return {
    what: 'etcd',
    program: programs.etcd,
    args: etcdArgs(spec),
    pidFile: etcdPidFile(spec),
    logFile: join(spec.dir, 'etcd.log'),
    marker: etcdMarker(spec),
    cwd: spec.dir,
  };
}

export function patroniDaemon(spec: ClusterSpec, node: ClusterNode, programs: HaPrograms): DaemonSpec {
  return {
    what: `Patroni of ${node.label}`,
    program: programs.patroni,
    args: [patroniConfigPath(node)],
    pidFile: patroniPidFile(spec, node),
    logFile: patroniLogPath(node),
    marker: patroniMarker(node),
    cwd: spec.dir,
    // Patroni and patronictl look for files under HOME; the cluster directory is one its user can write.
    env: { HOME: spec.dir },
  };
}
