import type { SortDirection, SortKey, User } from '../../repository/user.js';
import { readPolicyFor, type ReadConsistency } from '../../sharding/read-policy.js';
import { shardIdFor } from '../../sharding/shard-id-for.js';
import type { GatewayContext } from '../context.js';
import { compareSortKeys } from './compare-sort-keys.js';
import { gatherShardPages, type MissingShard } from './gather-shard-pages.js';
import type { ShardPositions } from './shard-positions.js';
import { isShardMissing, sumOverShards } from './sum-over-shards.js';
import { encodeUserCursor, encodeUsersAfter } from './user-cursor.js';

export interface UsersPage {
  readonly edges: { cursor: string; node: User }[];
  readonly pageInfo: { hasNextPage: boolean; endCursor: string | null; missingShards: number[] };
  /** The shards that could not answer (only with allowPartialResults), for their errors. */
  readonly missing: readonly MissingShard[];
  /** Per-shard counts in parallel; only run when the field is selected. With partial results, the shards that answered and the ones that did not. */
  totalCount(): Promise<{ total: number; missing: readonly MissingShard[] }>;
}

/**
 * One page of `users` over every shard (see gatherShardPages): keyset, no
 * OFFSET, all shards at once, merged. A shard that cannot answer fails the
 * whole page (SHARD_UNAVAILABLE), unless `allowPartial`: then the page comes
 * from the others, and its cursors keep the missing shards' positions.
 */
export async function fetchUsersPage(
  ctx: GatewayContext,
  args: {
    first: number;
    after: ShardPositions<SortKey> | null;
    direction: SortDirection;
    consistency: ReadConsistency;
    allowPartial?: boolean;
  },
): Promise<UsersPage> {
  const policy = readPolicyFor(args.consistency);
  const { manager } = ctx;
  const allowPartial = args.allowPartial ?? false;
  // The route and the shard count of one moment: a gateway may adopt a new layout while the pages are read.
  const route = manager.routeAll();
  const shardCount = manager.shardCount;
  const compare = args.direction === 'asc' ? compareSortKeys : (a: SortKey, b: SortKey) => compareSortKeys(b, a);
  const page = await gatherShardPages<User, SortKey>({
    scatter: manager.scatter,
    route,
    shardCount,
    after: args.after,
    first: args.first,
    allowPartial,
    fetch: (shardId, after, limit) => ctx.users.pageOnShard(shardId, { after, direction: args.direction, limit }, policy),
    keyOf: (user) => user,
    compare,
    // Rows a shard does not own under the layout the pages were read with are a reshard's copies (or originals not yet cleaned up).
    owns: (user, shardId) => shardIdFor(user.userId, shardCount) === shardId,
    canMiss: isShardMissing,
  });
  const direction = args.direction;
  const edges = page.items.map((node, i) => ({
    node,
    cursor: page.uniform
      ? encodeUserCursor({ direction, createdAt: node.createdAt, userId: node.userId })
      : encodeUsersAfter({ direction, positions: page.positionsAfter(i) }),
  }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      endCursor: edges.at(-1)?.cursor ?? (page.end ? encodeUsersAfter({ direction, positions: page.end }) : null),
      missingShards: page.missing.map((m) => m.shardId),
    },
    missing: page.missing,
    totalCount: () => sumOverShards(manager, (shardId) => ctx.users.countOnShard(shardId, policy), allowPartial),
  };
}
