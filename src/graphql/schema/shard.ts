import { ReadPolicy } from '../../sharding/read-policy.js';
import type { Shard, ShardNode } from '../../sharding/shard.js';
import { builder } from '../builder.js';

const NodeRoleEnum = builder.enumType('NodeRole', { values: ['PRIMARY', 'REPLICA'] as const });

const ShardNodeRef = builder.objectRef<ShardNode>('ShardNode').implement({
  fields: (t) => ({
    address: t.exposeString('address', { description: 'host:port' }),
    role: t.field({
      type: NodeRoleEnum,
      description: 'as observed (pg_is_in_recovery), not as configured',
      resolve: (node, _args, ctx) => (ctx.manager.roleOf(node) === 'primary' ? 'PRIMARY' : 'REPLICA'),
    }),
    healthy: t.boolean({
      description: "serves statements now: the shard's primary, or a replica that follows it and answers",
      resolve: (node, _args, ctx) => ctx.manager.isServable(node),
    }),
    replicationLagSeconds: t.float({
      nullable: true,
      description: 'null for a primary',
      resolve: (node, _args, ctx) => (ctx.manager.roleOf(node) === 'primary' ? null : (ctx.manager.healthOf(node).lag?.seconds ?? null)),
    }),
  }),
});

const ShardRef = builder.objectRef<Shard>('Shard').implement({
  fields: (t) => ({
    id: t.exposeInt('id'),
    userCount: t.int({
      // Each shard's count runs as its own resolver, so the shards are counted in parallel.
      resolve: (shard, _args, ctx) => ctx.users.countOnShard(shard.id, ReadPolicy.ReplicaPreferred),
    }),
    nodes: t.field({ type: [ShardNodeRef], resolve: (shard) => shard.nodes }),
  }),
});

builder.queryFields((t) => ({
  shards: t.field({ type: [ShardRef], resolve: (_root, _args, ctx) => ctx.manager.allShards() }),
}));
