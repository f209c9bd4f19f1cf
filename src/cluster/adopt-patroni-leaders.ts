import { recordPrimary } from './cluster-files.js';
import { type ClusterSpec, primaryMembers } from './cluster-layout.js';
import { patroniLeader } from './patroni-rest.js';

/**
 * The layout with each shard's primary set to Patroni's leader, recorded on
 * disk when it changed (Patroni may have failed over since the layout was
 * written). Shards whose leader nobody reports keep the recorded one.
 */
export async function adoptPatroniLeaders(spec: ClusterSpec): Promise<ClusterSpec> {
  let current = spec;
  for (let shardId = 0; shardId < spec.shards; shardId++) {
    const leader = await patroniLeader(current, shardId);
    if (leader !== null && leader !== primaryMembers(current)[shardId]) current = await recordPrimary(current, shardId, leader);
  }
  return current;
}
