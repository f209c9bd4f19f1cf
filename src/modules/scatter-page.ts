import { mergeOwnedPages } from '../graphql/pagination/merge-owned-pages.js';
import { shardIdFor } from '../sharding/shard-id-for.js';
import type { ShardManager } from '../sharding/shard-manager.js';
import { shardIdsOf } from '../sharding/shard-route.js';
import type { KeysetPage, KeysetPageQuery } from './module-api.js';

/**
 * A module's keyset page over every shard: each shard returns its own next
 * `first + 1` rows after the cursor (no OFFSET: a deep page costs what the
 * first costs), all shards at once; a k-way merge keeps the global first
 * `first`, and the extra row says whether there is more. Rows a shard holds
 * but does not own under the layout the page was read with (a reshard's
 * copies) are dropped, so nothing appears twice. A shard that cannot answer
 * fails the page: a page missing a shard would skip its rows for good.
 */
export async function scatterPage<T>(manager: ShardManager, query: KeysetPageQuery<T>): Promise<KeysetPage<T>> {
  // The route and the shard count of one moment: a gateway may adopt a new layout while the pages are read.
  const route = manager.routeAll();
  const shardIds = shardIdsOf(route);
  const shardCount = manager.shardCount;
  const fetched = query.first + 1;
  const pages = await manager.scatter.all(route, (shardId) => query.fetch(shardId, fetched));
  const owns = (row: T, page: number) => shardIdFor(query.ownerOf(row), shardCount) === shardIds[page];
  const merged = mergeOwnedPages(pages, fetched, owns, query.compare, query.first);
  const edges = merged.items.map((node) => ({ node, cursor: query.cursorOf(node) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: merged.hasNextPage,
      endCursor: edges.at(-1)?.cursor ?? (merged.resumeAfter ? query.cursorOf(merged.resumeAfter) : null),
    },
  };
}
