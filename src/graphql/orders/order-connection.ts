import type { Order, OrderDirection, OrderSlice, OrderStatus } from '../../repository/orders/order.js';
import { readPolicyFor, type ReadConsistency } from '../../sharding/read-policy.js';
import { builder } from '../builder.js';
import type { GatewayContext } from '../context.js';
import { scatterKeysetPage, scatterSum } from '../pagination/scatter-keyset-page.js';
import { ReadConsistencyEnum } from '../schema/read-consistency.js';
import { UserRef } from '../schema/user.js';
import { PageInfo } from '../schema/user-connection.js';
import { validPageSize } from '../validate-input.js';
import { encodeOrderCursor } from './order-cursor.js';
import { consistencyAfter, orderCountLoader, ordersOfUserLoader } from './order-loaders.js';
import { compareOrders, directionOf, OrderOrderEnum, OrderRef, OrderStatusEnum } from './order-type.js';
import { validOrderCursor } from './validate-order-input.js';

export interface OrdersPage {
  readonly edges: { cursor: string; node: Order }[];
  readonly pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** Only run when the field is selected. */
  totalCount(): Promise<number>;
}

const OrderEdge = builder.objectRef<{ cursor: string; node: Order }>('OrderEdge').implement({
  fields: (t) => ({
    cursor: t.exposeString('cursor'),
    node: t.field({ type: OrderRef, resolve: (edge) => edge.node }),
  }),
});

const OrderConnection = builder.objectRef<OrdersPage>('OrderConnection').implement({
  fields: (t) => ({
    edges: t.field({ type: [OrderEdge], resolve: (page) => page.edges }),
    pageInfo: t.field({ type: PageInfo, resolve: (page) => page.pageInfo }),
    totalCount: t.int({ description: 'computed only when asked for', resolve: (page) => page.totalCount() }),
  }),
});

/** The page arguments of `orders` and `User.orders`, validated (BAD_USER_INPUT naming the argument). */
function sliceOf(args: {
  first?: number | null;
  after?: string | null;
  status?: OrderStatus | null;
  orderBy?: 'CREATED_AT_ASC' | 'CREATED_AT_DESC' | null;
}): OrderSlice & { first: number } {
  const first = validPageSize('first', args.first ?? 20);
  const direction: OrderDirection = directionOf(args.orderBy);
  const status = args.status ?? null;
  const after = validOrderCursor('after', args.after, direction, status);
  return { first, direction, status, after, limit: first + 1 };
}

function cursorOf(slice: OrderSlice) {
  return (order: Order) =>
    encodeOrderCursor({ direction: slice.direction, status: slice.status, createdAt: order.createdAt, orderId: order.orderId });
}

builder.objectFields(UserRef, (t) => ({
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
      const consistency = consistencyAfter(ctx, user);
      const rows = await ordersOfUserLoader(ctx, slice, consistency).load(user.userId);
      const edges = rows.slice(0, slice.first).map((node) => ({ node, cursor: cursorOf(slice)(node) }));
      if (consistency === 'STRONG') for (const row of rows) ctx.strongReads.add(row);
      return {
        edges,
        pageInfo: { hasNextPage: rows.length > slice.first, endCursor: edges.at(-1)?.cursor ?? null },
        totalCount: () => orderCountLoader(ctx, slice.status, consistency).load(user.userId),
      };
    },
  }),
  orderCount: t.int({
    resolve: (user, _args, ctx) => orderCountLoader(ctx, null, consistencyAfter(ctx, user)).load(user.userId),
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
      consistency: t.arg({ type: ReadConsistencyEnum, defaultValue: 'EVENTUAL' }),
    },
    resolve: (_root, args, ctx) => ctx.pending.track(fetchOrdersPage(ctx, sliceOf(args), args.consistency ?? 'EVENTUAL')),
  }),
}));

/** One `orders` page over every shard, by keyset (see scatterKeysetPage). */
async function fetchOrdersPage(
  ctx: GatewayContext,
  slice: OrderSlice & { first: number },
  consistency: ReadConsistency,
): Promise<OrdersPage> {
  const policy = readPolicyFor(consistency);
  const page = await scatterKeysetPage<Order>(ctx.manager, {
    first: slice.first,
    fetch: (shardId, limit) => ctx.orders.pageOnShard(shardId, { ...slice, limit }, policy),
    compare: compareOrders(slice.direction),
    ownerOf: (order) => order.userId,
    cursorOf: cursorOf(slice),
  });
  if (consistency === 'STRONG') for (const edge of page.edges) ctx.strongReads.add(edge.node);
  return { ...page, totalCount: () => scatterSum(ctx.manager, (shardId) => ctx.orders.countOnShard(shardId, slice.status, policy)) };
}
