import { ShardOverloadedError, ShardTimeoutError, ShardUnavailableError } from '../../repository/errors.js';
import type { SortDirection, SortKey, User } from '../../repository/user.js';
import { readPolicyFor, type ReadConsistency } from '../../sharding/read-policy.js';
import { shardIdFor } from '../../sharding/shard-id-for.js';
import type { GatewayContext } from '../context.js';
import { compareSortKeys } from './compare-sort-keys.js';
import { gatherShardPages, type MissingShard } from './gather-shard-pages.js';
import type { ShardPositions } from './shard-positions.js';
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
    totalCount: async () => {
      // The shards as they are now: the gateway may have adopted a new layout since the page was read.
      const countRoute = manager.routeAll();
      if (!allowPartial) {
        const counts = await manager.scatter.all(countRoute, (shardId) => ctx.users.countOnShard(shardId, policy));
        return { total: counts.reduce((a, b) => a + b, 0), missing: [] };
      }
      const results = await manager.scatter.settled(countRoute, (shardId) => ctx.users.countOnShard(shardId, policy));
      const fatal = results.find((r) => !r.ok && !isShardMissing(r.error));
      if (fatal && !fatal.ok) throw fatal.error;
      let total = 0;
      const missing: MissingShard[] = [];
      for (const r of results) {
        if (r.ok) total += r.value;
        else missing.push({ shardId: r.shardId, error: r.error });
      }
      return { total, missing };
    },
  };
}

/** A shard that cannot answer now (down, too slow for the deadline, or overloaded): a partial page goes on without it. */
export function isShardMissing(error: unknown): boolean {
  return error instanceof ShardUnavailableError || error instanceof ShardTimeoutError || error instanceof ShardOverloadedError;
}
