import type { MissingShard, ReadConsistency, RequestContext, ShardPositions } from '../module-api.js';
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

export interface OrdersPage {
  readonly edges: { cursor: string; node: Order }[];
  readonly pageInfo: { hasNextPage: boolean; endCursor: string | null; missingShards?: readonly number[] };
  /** Only run when the field is selected. With partial results (root `orders`), the shards that did not answer, for their errors. */
  totalCount(): Promise<{ total: number; missing: readonly MissingShard[] }>;
}

type OrderByArg = 'CREATED_AT_ASC' | 'CREATED_AT_DESC' | null | undefined;

/** `OrderConnection`, `User.orders`, `User.orderCount` and the root `orders` page. */
export function defineOrderConnection(kit: OrdersKit, { OrderRef, OrderStatusEnum, OrderOrderEnum }: OrderTypes): void {
  const { api } = kit;
  const { builder } = api;

  const OrderEdge = builder.objectRef<{ cursor: string; node: Order }>('OrderEdge').implement({
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      node: t.field({ type: OrderRef, resolve: (edge) => edge.node }),
    }),
  });

  const OrderConnection = builder.objectRef<OrdersPage>('OrderConnection').implement({
    fields: (t) => ({
      edges: t.field({ type: [OrderEdge], resolve: (page) => page.edges }),
      pageInfo: t.field({ type: api.PageInfo, resolve: (page) => page.pageInfo }),
      totalCount: t.int({
        description: 'computed only when asked for',
        resolve: async (page, _args, ctx, info) => {
          const { total, missing } = await page.totalCount();
          // The error belongs to the connection field, beside the page's own missing shards (one per shard).
          const parent = { ...info, path: info.path.prev! };
          for (const m of missing) api.missingShard(ctx, parent, m.shardId, m.error);
          return total;
        },
      }),
    }),
  });

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
        const query = { first, direction, status, after, allowPartial: args.allowPartialResults ?? false };
        const page = await fetchOrdersPage(kit, ctx, query, args.consistency ?? 'EVENTUAL');
        for (const m of page.missing) api.missingShard(ctx, info, m.shardId, m.error);
        return page;
      },
    }),
  }));
}

/**
 * One root `orders` page over every shard, by keyset (the module API's
 * scatterWalk, as `users` pages): a shard that cannot answer fails the page,
 * unless `allowPartial`: then the page comes from the others, and its
 * cursors keep the missing shards' positions.
 */
async function fetchOrdersPage(
  kit: OrdersKit,
  ctx: RequestContext,
  query: {
    first: number;
    direction: OrderDirection;
    status: OrderStatus | null;
    after: ShardPositions<OrderSortKey> | null;
    allowPartial: boolean;
  },
  consistency: ReadConsistency,
): Promise<OrdersPage & { missing: readonly MissingShard[] }> {
  const { api } = kit;
  const { direction, status, allowPartial } = query;
  const store = kit.store(ctx);
  const page = await api.scatterWalk<Order, OrderSortKey>(ctx, {
    first: query.first,
    after: query.after,
    allowPartialResults: allowPartial,
    fetch: (shardId, after, limit) => store.pageOnShard(shardId, { direction, status, after, limit }, consistency),
    keyOf: (order) => order,
    compare: compareOrders(direction),
    ownerOf: (order) => order.userId,
  });
  const positionsCursor = (positions: ShardPositions<OrderSortKey>) => encodeOrdersAfter({ direction, status, positions }, api.cursors);
  const edges = page.items.map((node, i) => ({
    node,
    cursor: page.uniform
      ? encodeOrderCursor({ direction, status, createdAt: node.createdAt, orderId: node.orderId })
      : positionsCursor(page.positionsAfter(i)),
  }));
  if (consistency === 'STRONG') for (const edge of edges) api.markStrong(ctx, edge.node);
  const countOn = (shardId: number) => store.countOnShard(shardId, status, consistency);
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      endCursor: edges.at(-1)?.cursor ?? (page.end ? positionsCursor(page.end) : null),
      missingShards: page.missing.map((m) => m.shardId),
    },
    missing: page.missing,
    totalCount: async () =>
      allowPartial ? api.scatterSumPartial(ctx, countOn) : { total: await api.scatterSum(ctx, countOn), missing: [] },
  };
}
