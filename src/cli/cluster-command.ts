import { ClusterError } from '../cluster/cluster-error.js';
import { readClusterSpec } from '../cluster/cluster-files.js';
import { formatClusterStatus } from '../cluster/format-cluster-status.js';
import { clusterDown, clusterFailover, clusterStatus, clusterUp } from '../cluster/local-cluster.js';
import { DEFAULT_BASE_PORT, DEFAULT_REPLICAS, DEFAULT_SHARDS, parseClusterArgs } from './parse-cluster-args.js';
import type { CliIo } from './cli-io.js';

/**
 * `shardgate cluster <up|down|status|failover> ...`; `argv` is what follows
 * `cluster`; each `io` call is one line (or a block of lines) without its
 * final newline. Exit codes: 0 done, 1 the operation failed (one line on
 * stderr, no stack), 2 a usage error.
 */
export async function runClusterCommand(argv: string[], io: CliIo): Promise<number> {
  const command = parseClusterArgs(argv);
  try {
    switch (command.kind) {
      case 'help':
        io.out(command.text);
        return 0;
      case 'usage-error':
        io.err(command.message);
        return 2;
      case 'up': {
        // Flags not given fall back to the layout D was created with, then to the defaults.
        const existing = await readClusterSpec(command.dir);
        const { topologyPath, nodes } = await clusterUp(
          {
            dir: command.dir,
            shards: command.shards ?? existing?.shards ?? DEFAULT_SHARDS,
            replicas: command.replicas ?? existing?.replicas ?? DEFAULT_REPLICAS,
            basePort: command.basePort ?? existing?.basePort ?? DEFAULT_BASE_PORT,
            fsync: command.noFsync ? false : (existing?.fsync ?? true),
            synchronous: command.synchronous || existing?.synchronous === true,
            ha: command.ha ?? existing?.ha ?? 'none',
          },
          { onProgress: io.out },
        );
        for (const line of formatClusterStatus(nodes)) io.out(line);
        io.out(`topology: ${topologyPath}`);
        return 0;
      }
      case 'down':
        await clusterDown(command.dir, { onProgress: io.out });
        return 0;
      case 'failover': {
        const r = await clusterFailover(command.dir, command.shard, { onProgress: io.out });
        const how = r.mode === 'patroni' ? 'patronictl switchover' : 'pg_ctl promote + pg_rewind';
        io.out(
          `shard ${r.shardId} switched over (${how}): primary port ${r.from.port} -> ${r.to.port}, timeline ${r.timeline}; ` +
            `writes refused for ${r.writeOutageMs} ms, done in ${r.totalMs} ms`,
        );
        for (const line of formatClusterStatus((await clusterStatus(command.dir)).filter((n) => n.shardId === r.shardId))) io.out(line);
        return 0;
      }
      case 'status':
        for (const line of formatClusterStatus(await clusterStatus(command.dir))) io.out(line);
        return 0;
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.err(`cluster ${command.kind}: ${message.split('\n')[0]}`);
    return err instanceof ClusterError && err.code === 'BAD_SPEC' ? 2 : 1;
  }
}
