import type { Shard, ShardNode } from '../../sharding/shard.js';
import { builder } from '../builder.js';

const NodeRoleEnum = builder.enumType('NodeRole', {
  values: {
    PRIMARY: { description: "the shard's one primary: it takes the writes" },
    REPLICA: { description: 'a standby (it serves reads while it follows the primary and is healthy)' },
    FENCED: {
      description: 'out of recovery but serving nothing: another node is the primary on a newer timeline, or the shard is in split brain',
    },
  } as const,
});

const ROLE_NAMES = { primary: 'PRIMARY', replica: 'REPLICA', fenced: 'FENCED' } as const;

const ShardNodeRef = builder.objectRef<ShardNode>('ShardNode').implement({
  fields: (t) => ({
    address: t.exposeString('address', { description: 'host:port' }),
    role: t.field({
      type: NodeRoleEnum,
      description: 'as observed and decided for the shard (never two PRIMARY nodes), not as configured',
      resolve: (node, _args, ctx) => ROLE_NAMES[ctx.manager.roleOf(node)],
    }),
    healthy: t.boolean({
      description: "serves statements now: the shard's primary, or a replica that follows it and answers",
      resolve: (node, _args, ctx) => ctx.manager.isServable(node),
    }),
    replicationLagSeconds: t.float({
      nullable: true,
      description: 'null for a primary or a fenced node, and while unknown; 0 when nothing is left to replay',
      resolve: (node, _args, ctx) => (ctx.manager.roleOf(node) === 'replica' ? (ctx.manager.healthOf(node).lag?.seconds ?? null) : null),
    }),
  }),
});

/** `Shard`: its id and nodes here; the users module adds `userCount`. */
export const ShardRef = builder.objectRef<Shard>('Shard').implement({
  fields: (t) => ({
    id: t.exposeInt('id'),
    nodes: t.field({ type: [ShardNodeRef], resolve: (shard) => shard.nodes }),
  }),
});

builder.queryFields((t) => ({
  shards: t.field({ type: [ShardRef], resolve: (_root, _args, ctx) => ctx.manager.allShards() }),
}));
