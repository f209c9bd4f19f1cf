import type { Logger } from 'pino';
import { ConfigError } from '../config/config-error.js';
import { loadTopologyFile } from '../config/load-topology.js';
import { describeTopologyChange, type TopologyChange } from '../sharding/topology-change.js';
import type { Shards } from '../repository/open-shards.js';

export type ReloadResult =
  { readonly ok: true; readonly change: TopologyChange; readonly summary: string[] } | { readonly ok: false; readonly message: string };

/**
 * Re-reads the topology file and applies it while serving (SIGHUP). New
 * nodes get pools and are probed before they serve; removed nodes finish the
 * statements they run, then their pools close. A file that is invalid, or
 * that changes the number of shards (which would move users between
 * shards), is refused with the usual message and the running topology stays.
 * Every outcome is logged, with what changed.
 */
export async function reloadTopology(shards: Shards, path: string, logger: Logger): Promise<ReloadResult> {
  let message: string;
  try {
    const topology = loadTopologyFile(path);
    if (topology.shards.length !== shards.manager.shardCount) {
      message = `${path}: shards: expected ${shards.manager.shardCount} shard(s) as at start-up, got ${topology.shards.length}; the shard count cannot change while serving`;
    } else {
      const change = await shards.reconfigure(topology);
      const summary = describeTopologyChange(change);
      logger.info({ path, changes: summary }, summary.length ? `topology reloaded: ${summary.join('; ')}` : 'topology reloaded: no change');
      return { ok: true, change, summary };
    }
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    message = err.message;
  }
  logger.error({ path, problems: message.split('\n') }, `topology reload refused, the running topology stays: ${message}`);
  return { ok: false, message };
}
