import { decideShardRoles, initialRoleMemory, type ShardRoles } from '../sharding/decide-shard-roles.js';
import type { NodeProbe } from '../sharding/node-probe.js';
import { decideReplicaLag, type ReplicaLag } from '../sharding/replica-lag.js';
import type { NodeRole } from '../sharding/shard.js';
import type { ClusterNode } from './cluster-layout.js';

/** One member of a shard as `cluster status` and `cluster failover` see it. */
export interface ObservedMember {
  readonly node: ClusterNode;
  /** Its probe, null when it did not answer. */
  readonly probe: NodeProbe | null;
  /** Its role by the gateway's own decision, null when it did not answer. */
  readonly role: NodeRole | null;
  /** A replica that answered: its lag behind the shard's primary (unknown parts null); else null. */
  readonly lag: ReplicaLag | null;
}

/**
 * The roles of one shard's members, decided exactly as the gateway decides
 * them (decideShardRoles) from one probe of each: at most one primary, an
 * old primary or a split brain's claimants fenced. A one-shot view, with no
 * memory of earlier rounds: the highest timeline among the members that
 * answered is the shard's.
 */
export function decideMembers(members: readonly { node: ClusterNode; probe: NodeProbe | null }[]): {
  roles: ShardRoles<ClusterNode>;
  members: ObservedMember[];
} {
  const roles = decideShardRoles(
    members.map(({ node, probe }) => ({ node, configuredRole: node.role, observation: probe })),
    initialRoleMemory<ClusterNode>(),
    0,
  );
  const primaryLsn = members.find((m) => m.node === roles.primary)?.probe?.lsn ?? null;
  return {
    roles,
    members: members.map(({ node, probe }) => ({
      node,
      probe,
      role: probe === null ? null : (roles.nodeRoles.get(node) ?? null),
      lag: probe?.inRecovery === true ? decideReplicaLag(probe, primaryLsn) : null,
    })),
  };
}
