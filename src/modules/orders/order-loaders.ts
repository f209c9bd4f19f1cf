import type { ModuleApi, ModuleLoader, ReadConsistency, RequestContext } from '../module-api.js';
import type { Order, OrderKey, OrderSlice, OrderStatus } from './order.js';
import type { OrderStore } from './order-store.js';

/*
 * The request's order loaders, on the module API's per-request, per-shard
 * batches: each kind and set of arguments has its own batch, so every
 * `User.orders` of a request with the same arguments — whatever the number
 * of users, and however they were reached — is one statement per shard
 * touched, with the per-user limit applied inside that statement.
 */

/** What the loaders need: the API and the request's order store. */
export interface OrdersKit {
  readonly api: ModuleApi;
  store(ctx: RequestContext): OrderStore;
}

/** The orders of a user, `slice.limit` at most, for every user of the request asking the same slice. */
export function ordersOfUserLoader(
  kit: OrdersKit,
  ctx: RequestContext,
  slice: OrderSlice,
  consistency: ReadConsistency,
): ModuleLoader<string, Order[]> {
  const after = slice.after ? `${slice.after.createdAt}/${slice.after.orderId}` : '-';
  const name = `orders-of-user:${consistency}:${slice.direction}:${slice.status ?? '-'}:${after}:${slice.limit}`;
  return kit.api.batch<string, Order[]>(ctx, name, {
    load: (shardId, userIds) => kit.store(ctx).slicesOfUsersOnShard(shardId, userIds, slice, consistency),
    missing: [],
  });
}

/** How many orders (in `status`, or all) a user has: `orderCount`, and `totalCount` of `User.orders`. */
export function orderCountLoader(
  kit: OrdersKit,
  ctx: RequestContext,
  status: OrderStatus | null,
  consistency: ReadConsistency,
): ModuleLoader<string, number> {
  return kit.api.batch<string, number>(ctx, `order-count:${consistency}:${status ?? '-'}`, {
    load: (shardId, userIds) => kit.store(ctx).countsOfUsersOnShard(shardId, userIds, status, consistency),
    missing: 0,
  });
}

const keyId = (key: OrderKey) => `${key.orderId}|${key.userId}`;

/** The batch every lookup of orders by id joins (named in the fields' declared costs). */
export const ORDERS_BY_KEY = 'orders-by-key';

/** Orders by id (`order`, `ordersByIds`, `_entities`): each routed by the owner its id carries. */
export function ordersByKeyLoader(kit: OrdersKit, ctx: RequestContext, consistency: ReadConsistency): ModuleLoader<OrderKey, Order | null> {
  return kit.api.batch<OrderKey, Order | null>(ctx, `${ORDERS_BY_KEY}:${consistency}`, {
    ownerOf: (key) => key.userId,
    idOf: keyId,
    load: async (shardId, keys) => {
      const orders = await kit.store(ctx).getManyOnShard(shardId, keys, consistency);
      if (consistency === 'STRONG') for (const order of orders) kit.api.markStrong(ctx, order);
      return new Map(orders.map((o) => [keyId(o), o]));
    },
    missing: null,
    // A root lookup: its orders may bring parents (an order's user) for nested batches.
    nested: false,
  });
}
