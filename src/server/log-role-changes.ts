import type { Logger } from 'pino';
import type { ShardManager } from '../sharding/shard-manager.js';

/**
 * Logs what operators must know about a shard's roles: a new primary, a
 * shard without one, a split brain, and, loudly, a node that belongs to
 * another PostgreSQL system (a wrong address in the topology file) or an
 * old primary that came back after a failover.
 */
export function logRoleChanges(manager: ShardManager, logger: Logger): void {
  manager.onRolesChange((shardId, roles, previous) => {
    if (roles.primary && roles.primary !== previous.primary && roles.primary.key !== previous.primary?.key) {
      const fields = { shard: shardId, primary: roles.primary.address, timeline: roles.timeline };
      if (roles.primaryChanged) logger.warn({ ...fields, from: previous.memory.lastPrimary?.address ?? null }, 'shard primary changed');
      else logger.info(fields, 'shard primary');
    }
    if (!roles.primary && roles.noWriteReason !== previous.noWriteReason) {
      if (roles.noWriteReason === 'SPLIT_BRAIN') {
        const claimants = [...roles.excluded].filter(([, r]) => r === 'split-brain').map(([n]) => n.address);
        logger.error(
          { shard: shardId, nodes: claimants, timeline: roles.timeline },
          'split brain: more than one primary on the same timeline; the shard takes no writes',
        );
      } else {
        logger.warn({ shard: shardId, last: roles.memory.lastPrimary?.address ?? null }, 'shard has no primary; writes wait for one');
      }
    }
    for (const [node, reason] of roles.excluded) {
      const before = [...previous.excluded].find(([n]) => n.key === node.key)?.[1];
      if (before === reason) continue;
      const observed = manager.observationOf(node);
      const fields = { shard: shardId, node: node.address, reason, timeline: observed?.timeline ?? null };
      if (reason === 'foreign-system') {
        logger.error(
          { ...fields, systemIdentifier: observed?.systemIdentifier ?? null, shardSystemIdentifier: roles.systemIdentifier },
          'node belongs to another PostgreSQL system than the rest of its shard (a wrong address in the topology?); it serves nothing',
        );
      } else if (reason === 'stale-primary') {
        logger.error(
          { ...fields, shardTimeline: roles.timeline },
          'an old primary is out of recovery on a superseded timeline; it serves nothing',
        );
      } else if (reason !== 'unobserved') {
        logger.warn(fields, 'node serves nothing');
      }
    }
  });
}
