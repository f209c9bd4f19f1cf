import type { Order, OrderDirection, OrderSlice, OrderSortKey, OrderStatus } from '../../repository/orders/order.js';
import { shardIdFor } from '../../sharding/shard-id-for.js';
import { readPolicyFor, type ReadConsistency } from '../../sharding/read-policy.js';
import { builder } from '../builder.js';
import type { GatewayContext } from '../context.js';
import { gatherShardPages, type MissingShard } from '../pagination/gather-shard-pages.js';
import type { ShardPositions } from '../pagination/shard-positions.js';
import { isShardMissing, sumOverShards } from '../pagination/sum-over-shards.js';
import { ReadConsistencyEnum } from '../schema/read-consistency.js';
import { UserRef } from '../schema/user.js';
import { PageInfo } from '../schema/user-connection.js';
import { validPageSize } from '../validate-input.js';
import { encodeOrderCursor, encodeOrdersAfter } from './order-cursor.js';
import { consistencyAfter, orderCountLoader, ordersOfUserLoader } from './order-loaders.js';
import { compareOrders, directionOf, OrderOrderEnum, OrderRef, OrderStatusEnum } from './order-type.js';
import { validOrderCursor, validOrdersAfter } from './validate-order-input.js';

export interface OrdersPage {
  readonly edges: { cursor: string; node: Order }[];
  readonly pageInfo: { hasNextPage: boolean; endCursor: string | null; missingShards?: readonly number[] };
  /** Only run when the field is selected. With partial results (root `orders`), the shards that did not answer, for their errors. */
  totalCount(): Promise<{ total: number; missing: readonly MissingShard[] }>;
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
    totalCount: t.int({
      description: 'computed only when asked for',
      resolve: async (page, _args, ctx, info) => {
        const { total, missing } = await page.totalCount();
        // The error belongs to the connection field, beside the page's own missing shards (one per shard).
        const parent = { ...info, path: info.path.prev! };
        for (const m of missing) ctx.partial.missingShard(parent, m.shardId, m.error);
        return total;
      },
    }),
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
        totalCount: async () => ({ total: await orderCountLoader(ctx, slice.status, consistency).load(user.userId), missing: [] }),
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
      allowPartialResults: t.arg.boolean({
        defaultValue: false,
        description: 'when shards cannot answer: the page from the others, pageInfo.missingShards, one SHARD_UNAVAILABLE error each',
      }),
    },
    resolve: (_root, args, ctx, info) => {
      const first = validPageSize('first', args.first ?? 20);
      const direction = directionOf(args.orderBy);
      const status = args.status ?? null;
      const after = validOrdersAfter('after', args.after, direction, status, ctx.manager.shardCount);
      const query = { first, direction, status, after, allowPartial: args.allowPartialResults ?? false };
      const consistency = args.consistency ?? 'EVENTUAL';
      return ctx.pending.track(
        fetchOrdersPage(ctx, query, consistency).then((page) => {
          for (const m of page.missing) ctx.partial.missingShard(info, m.shardId, m.error);
          return page;
        }),
      );
    },
  }),
}));

/**
 * One root `orders` page over every shard, by keyset (see gatherShardPages,
 * shared with `users`): a shard that cannot answer fails the page, unless
 * `allowPartial`: then the page comes from the others, and its cursors keep
 * the missing shards' positions.
 */
async function fetchOrdersPage(
  ctx: GatewayContext,
  query: {
    first: number;
    direction: OrderDirection;
    status: OrderStatus | null;
    after: ShardPositions<OrderSortKey> | null;
    allowPartial: boolean;
  },
  consistency: ReadConsistency,
): Promise<OrdersPage & { missing: readonly MissingShard[] }> {
  const policy = readPolicyFor(consistency);
  const { manager } = ctx;
  const { direction, status, allowPartial } = query;
  // The route and the shard count of one moment: a gateway may adopt a new layout while the pages are read.
  const route = manager.routeAll();
  const shardCount = manager.shardCount;
  const page = await gatherShardPages<Order, OrderSortKey>({
    scatter: manager.scatter,
    route,
    shardCount,
    after: query.after,
    first: query.first,
    allowPartial,
    fetch: (shardId, after, limit) => ctx.orders.pageOnShard(shardId, { direction, status, after, limit }, policy),
    keyOf: (order) => order,
    compare: compareOrders(direction),
    // Rows a shard does not own under the layout the pages were read with are a reshard's copies (or originals not yet cleaned up).
    owns: (order, shardId) => shardIdFor(order.userId, shardCount) === shardId,
    canMiss: isShardMissing,
  });
  const edges = page.items.map((node, i) => ({
    node,
    cursor: page.uniform
      ? encodeOrderCursor({ direction, status, createdAt: node.createdAt, orderId: node.orderId })
      : encodeOrdersAfter({ direction, status, positions: page.positionsAfter(i) }),
  }));
  if (consistency === 'STRONG') for (const edge of edges) ctx.strongReads.add(edge.node);
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      endCursor: edges.at(-1)?.cursor ?? (page.end ? encodeOrdersAfter({ direction, status, positions: page.end }) : null),
      missingShards: page.missing.map((m) => m.shardId),
    },
    missing: page.missing,
    totalCount: () => sumOverShards(manager, (shardId) => ctx.orders.countOnShard(shardId, status, policy), allowPartial),
  };
}
