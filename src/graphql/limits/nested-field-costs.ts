import type { FieldNode } from 'graphql';

/**
 * What a field below the root costs in SQL statements, at most, wherever it
 * sits in the operation (under `user`, `usersByIds`, a `users` page,
 * `_entities`, an order's `user`...). Each selection (each response key) is
 * counted on its own, as if nothing batched it with another: fields with the
 * same arguments do share a batch at run time, so the estimate errs high.
 *
 * - `orders` (User.orders): one statement per shard, and one more per shard
 *   for each `totalCount` under it;
 * - `orderCount`: one per shard;
 * - `user` (Order.user): one per shard, a new batch of the request's user
 *   loader (users it already loaded cost nothing, which the estimate does
 *   not know).
 */
export function nestedFieldCost(field: FieldNode, subFields: () => ReadonlyMap<string, FieldNode[]>, shardCount: number): number {
  switch (field.name.value) {
    case 'orders': {
      let totals = 0;
      for (const nodes of subFields().values()) if (nodes[0]!.name.value === 'totalCount') totals += 1;
      return shardCount * (1 + totals);
    }
    case 'orderCount':
    case 'user':
      return shardCount;
    default:
      return 0;
  }
}
