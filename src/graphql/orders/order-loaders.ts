import type DataLoader from 'dataloader';
import type { Order, OrderKey, OrderSlice, OrderStatus } from '../../repository/orders/order.js';
import { readPolicyFor, type ReadConsistency } from '../../sharding/read-policy.js';
import type { GatewayContext } from '../context.js';
import { shardBatchLoader } from '../loaders/shard-batch-loader.js';

/*
 * The request's order loaders. Each kind and set of arguments has its own
 * per-shard batch loader (RequestLoaders), so every `User.orders` of a
 * request with the same arguments — whatever the number of users, and
 * however they were reached — is one statement per shard touched, with the
 * per-user limit applied inside that statement.
 */

/** The orders of a user, `slice.limit` at most, for every user of the request asking the same slice. */
export function ordersOfUserLoader(ctx: GatewayContext, slice: OrderSlice, consistency: ReadConsistency): DataLoader<string, Order[]> {
  const after = slice.after ? `${slice.after.createdAt}/${slice.after.orderId}` : '-';
  const name = `orders-of-user:${consistency}:${slice.direction}:${slice.status ?? '-'}:${after}:${slice.limit}`;
  const policy = readPolicyFor(consistency);
  return ctx.batches.get(name, () =>
    shardBatchLoader<string, Order[]>(ctx.manager, {
      ownerOf: (userId) => userId,
      load: (shardId, userIds) => ctx.orders.slicesOfUsersOnShard(shardId, userIds, slice, policy),
      missing: [],
      schedule: (dispatch) => ctx.pending.whenIdle(dispatch),
    }),
  );
}

/** How many orders (in `status`, or all) a user has: `orderCount`, and `totalCount` of `User.orders`. */
export function orderCountLoader(
  ctx: GatewayContext,
  status: OrderStatus | null,
  consistency: ReadConsistency,
): DataLoader<string, number> {
  const policy = readPolicyFor(consistency);
  return ctx.batches.get(`order-count:${consistency}:${status ?? '-'}`, () =>
    shardBatchLoader<string, number>(ctx.manager, {
      ownerOf: (userId) => userId,
      load: (shardId, userIds) => ctx.orders.countsOfUsersOnShard(shardId, userIds, status, policy),
      missing: 0,
      schedule: (dispatch) => ctx.pending.whenIdle(dispatch),
    }),
  );
}

const keyId = (key: OrderKey) => `${key.orderId}|${key.userId}`;

/** Orders by id (`order`, `ordersByIds`, `_entities`): each routed by the owner its id carries. */
export function ordersByKeyLoader(ctx: GatewayContext, consistency: ReadConsistency): DataLoader<OrderKey, Order | null> {
  const policy = readPolicyFor(consistency);
  return ctx.batches.get(`orders-by-key:${consistency}`, () =>
    shardBatchLoader<OrderKey, Order | null>(ctx.manager, {
      ownerOf: (key) => key.userId,
      idOf: keyId,
      load: async (shardId, keys) => {
        const orders = await ctx.orders.getManyOnShard(shardId, keys, policy);
        if (consistency === 'STRONG') for (const order of orders) ctx.strongReads.add(order);
        return new Map(orders.map((o) => [keyId(o), o]));
      },
      missing: null,
      track: (work) => ctx.pending.track(work),
    }),
  );
}

/** The consistency to read what hangs off `parent` with: STRONG when it was read from a primary. */
export function consistencyAfter(ctx: GatewayContext, parent: object): ReadConsistency {
  return ctx.strongReads.has(parent) ? 'STRONG' : 'EVENTUAL';
}
