import {
  compareOrders,
  directionOf,
  type Order,
  type OrderDirection,
  type OrderSlice,
  type OrderSortKey,
  type OrderStatus,
} from './order.js';
import { encodeOrderCursor, encodeOrdersAfter } from './order-cursor.js';
import { orderCountLoader, ordersOfUserLoader, type OrdersKit } from './order-loaders.js';
import type { OrderTypes } from './order-type.js';
import { validOrderCursor, validOrdersAfter } from './validate-order-input.js';

type OrderByArg = 'CREATED_AT_ASC' | 'CREATED_AT_DESC' | null | undefined;

/** `OrderConnection`, `User.orders`, `User.orderCount` and the root `orders` page. */
export function defineOrderConnection(kit: OrdersKit, { OrderRef, OrderStatusEnum, OrderOrderEnum }: OrderTypes): void {
  const { api } = kit;
  const { builder } = api;

  const OrderConnection = api.connection('Order', OrderRef);

  /** The page arguments of `User.orders`, validated (BAD_USER_INPUT naming the argument). */
  const sliceOf = (args: {
    first?: number | null;
    after?: string | null;
    status?: OrderStatus | null;
    orderBy?: OrderByArg;
  }): OrderSlice & { first: number } => {
    const first = api.validPageSize('first', args.first ?? 20);
    const direction: OrderDirection = directionOf(args.orderBy);
    const status = args.status ?? null;
    const after = validOrderCursor(api, 'after', args.after, direction, status);
    return { first, direction, status, after, limit: first + 1 };
  };

  builder.objectFields(api.User, (t) => ({
    orders: t.field({
      type: OrderConnection,
      description: "this user's orders",
      args: {
        first: t.arg.int({ defaultValue: 20 }),
        after: t.arg.string(),
        status: t.arg({ type: OrderStatusEnum }),
        orderBy: t.arg({ type: OrderOrderEnum, defaultValue: 'CREATED_AT_DESC' }),
      },
      // One statement per shard for every user of the request asking the same page: see ordersOfUserLoader.
      resolve: async (user, args, ctx) => {
        const slice = sliceOf(args);
        const consistency = api.consistencyOf(ctx, user);
        const rows = await ordersOfUserLoader(kit, ctx, slice, consistency).load(user.userId);
        const cursorOf = (order: Order) =>
          encodeOrderCursor({ direction: slice.direction, status: slice.status, createdAt: order.createdAt, orderId: order.orderId });
        const edges = rows.slice(0, slice.first).map((node) => ({ node, cursor: cursorOf(node) }));
        if (consistency === 'STRONG') for (const row of rows) api.markStrong(ctx, row);
        return {
          edges,
          pageInfo: { hasNextPage: rows.length > slice.first, endCursor: edges.at(-1)?.cursor ?? null },
          totalCount: async () => ({
            total: await orderCountLoader(kit, ctx, slice.status, consistency).load(user.userId),
            missing: [],
          }),
        };
      },
    }),
    orderCount: t.int({
      resolve: (user, _args, ctx) => orderCountLoader(kit, ctx, null, api.consistencyOf(ctx, user)).load(user.userId),
    }),
  }));

  builder.queryFields((t) => ({
    orders: t.field({
      type: OrderConnection,
      description: 'all shards, merged',
      args: {
        first: t.arg.int({ defaultValue: 20 }),
        after: t.arg.string(),
        status: t.arg({ type: OrderStatusEnum }),
        orderBy: t.arg({ type: OrderOrderEnum, defaultValue: 'CREATED_AT_DESC' }),
        consistency: t.arg({ type: api.ReadConsistency, defaultValue: 'EVENTUAL' }),
        allowPartialResults: t.arg.boolean({
          defaultValue: false,
          description: 'when shards cannot answer: the page from the others, pageInfo.missingShards, one SHARD_UNAVAILABLE error each',
        }),
      },
      resolve: async (_root, args, ctx, info) => {
        const first = api.validPageSize('first', args.first ?? 20);
        const direction = directionOf(args.orderBy);
        const status = args.status ?? null;
        const after = validOrdersAfter(api, 'after', args.after, direction, status, api.shardCount(ctx));
        const consistency = args.consistency ?? 'EVENTUAL';
        const store = kit.store(ctx);
        return api.scatterConnection<Order, OrderSortKey>(ctx, info, {
          first,
          after,
          allowPartialResults: args.allowPartialResults ?? false,
          fetch: (shardId, from, limit) => store.pageOnShard(shardId, { direction, status, after: from, limit }, consistency),
          keyOf: (order) => order,
          compare: compareOrders(direction),
          ownerOf: (order) => order.userId,
          cursorOf: (order) => encodeOrderCursor({ direction, status, createdAt: order.createdAt, orderId: order.orderId }),
          positionsCursor: (positions) => encodeOrdersAfter({ direction, status, positions }, api.cursors),
          count: (shardId) => store.countOnShard(shardId, status, consistency),
          strong: consistency === 'STRONG',
        });
      },
    }),
  }));
}
