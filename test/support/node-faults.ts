import { dirname } from 'node:path';
import { requireClusterSpec } from '../../src/cluster/cluster-files.js';
import { nodeOf, type NodeRole } from '../../src/cluster/cluster-layout.js';
import { findPgBinaries } from '../../src/cluster/find-pg-binaries.js';
import { processWithChildren, runningPostmasterPid, signalAll, waitForExit } from '../../src/cluster/postmaster-process.js';
import { runProgram } from '../../src/cluster/run-program.js';

/** How a node of a test cluster is made to fail: the ways PostgreSQL really goes away. */
export type NodeFault =
  /** `pg_ctl stop -m immediate`: no shutdown checkpoint, clients dropped at once. */
  | 'stop-immediate'
  /** `pg_ctl stop -m fast`: clients told 57P01 and disconnected, clean shutdown. */
  | 'stop-fast'
  /** `kill -9` of the postmaster: its backends notice and exit on their own. */
  | 'kill-9';

export async function failNode(dir: string, shardId: number, role: NodeRole, fault: NodeFault): Promise<void> {
  const node = nodeOf(await requireClusterSpec(dir), shardId, role);
  const pid = runningPostmasterPid(node.dataDir);
  if (pid === null) throw new Error(`${node.label} is not running`);
  const pids = processWithChildren(pid);
  if (fault === 'kill-9') {
    process.kill(pid, 'SIGKILL');
  } else {
    const mode = fault === 'stop-immediate' ? 'immediate' : 'fast';
    const bins = await findPgBinaries();
    await runProgram(bins.pgCtl, ['stop', '-m', mode, '-w', '-t', '30', '-s', '-D', node.dataDir], {
      cwd: dirname(node.dataDir),
      what: `stopping ${node.label} (-m ${mode})`,
    });
  }
  // Orphaned backends hold the shared memory segment; the next start would refuse while they live.
  if (!(await waitForExit(pids, 10_000))) {
    signalAll(pids, 'SIGKILL');
    await waitForExit(pids, 5_000);
  }
}
