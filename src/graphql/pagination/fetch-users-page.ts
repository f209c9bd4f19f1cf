import type { SortDirection, SortKey, User } from '../../repository/user.js';
import { readPolicyFor, type ReadConsistency } from '../../sharding/read-policy.js';
import { shardIdFor } from '../../sharding/shard-id-for.js';
import { shardIdsOf } from '../../sharding/shard-route.js';
import type { GatewayContext } from '../context.js';
import { compareSortKeys } from './compare-sort-keys.js';
import { mergeOwnedPages } from './merge-owned-pages.js';
import { encodeUserCursor } from './user-cursor.js';

export interface UsersPage {
  readonly edges: { cursor: string; node: User }[];
  readonly pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** Per-shard counts in parallel; only run when the field is selected. */
  totalCount(): Promise<number>;
}

/**
 * One page of `users` over every shard: each shard returns its own next
 * `first + 1` rows after the cursor (keyset, no OFFSET), all shards at once;
 * the k-way merge keeps the global first `first`, and the extra row says
 * whether there is a next page.
 *
 * A shard that cannot answer fails the whole page (SHARD_UNAVAILABLE): a page
 * missing a shard's users would silently skip them for good, since the
 * cursor moves past them.
 */
export async function fetchUsersPage(
  ctx: GatewayContext,
  args: { first: number; after: SortKey | null; direction: SortDirection; consistency: ReadConsistency },
): Promise<UsersPage> {
  const policy = readPolicyFor(args.consistency);
  const { manager } = ctx;
  // The route and the shard count of one moment: a gateway may adopt a new layout while the pages are read.
  const route = manager.routeAll();
  const shardIds = shardIdsOf(route);
  const shardCount = manager.shardCount;
  const pages = await manager.scatter.all(route, (shardId) =>
    ctx.users.pageOnShard(shardId, { after: args.after, direction: args.direction, limit: args.first + 1 }, policy),
  );
  const compare = args.direction === 'asc' ? compareSortKeys : (a: SortKey, b: SortKey) => compareSortKeys(b, a);
  // Rows a shard does not own under the layout the pages were read with are a reshard's copies (or originals not yet cleaned up).
  const owns = (user: User, page: number) => shardIdFor(user.userId, shardCount) === shardIds[page];
  const merged = mergeOwnedPages(pages, args.first + 1, owns, compare, args.first);
  const cursorOf = (user: User) => encodeUserCursor({ direction: args.direction, createdAt: user.createdAt, userId: user.userId });
  const edges = merged.items.map((node) => ({ node, cursor: cursorOf(node) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: merged.hasNextPage,
      endCursor: edges.at(-1)?.cursor ?? (merged.resumeAfter ? cursorOf(merged.resumeAfter) : null),
    },
    totalCount: async () => {
      // The shards as they are now: the gateway may have adopted a new layout since the page was read.
      const counts = await manager.scatter.all(manager.routeAll(), (shardId) => ctx.users.countOnShard(shardId, policy));
      return counts.reduce((a, b) => a + b, 0);
    },
  };
}
