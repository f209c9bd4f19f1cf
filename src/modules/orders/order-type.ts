import { timestampToIso, type Order } from './order.js';
import { encodeOrderId } from './order-id.js';
import { ordersByKeyLoader, type OrdersKit } from './order-loaders.js';
import { validOrderId } from './validate-order-input.js';

export type OrderTypes = ReturnType<typeof defineOrderTypes>;

/** `Order`, its enums, and its Federation v2 entity key. */
export function defineOrderTypes(kit: OrdersKit) {
  const { api } = kit;
  const { builder } = api;
  const OrderStatusEnum = builder.enumType('OrderStatus', {
    values: ['PENDING', 'PAID', 'SHIPPED', 'CANCELLED'] as const,
  });

  const OrderOrderEnum = builder.enumType('OrderOrder', {
    description: 'ties broken by id',
    values: ['CREATED_AT_ASC', 'CREATED_AT_DESC'] as const,
  });

  const OrderRef = builder.objectRef<Order>('Order');

  OrderRef.implement({
    fields: (t) => ({
      id: t.id({
        description: "opaque; carries the owner's userId, so a lookup by id goes to one shard",
        resolve: (order) => encodeOrderId(order),
      }),
      userId: t.exposeID('userId'),
      user: t.field({
        type: api.User,
        description: 'the owner: same shard, batched with every other user lookup of the request',
        // The request's user loader: a user the request already loaded costs no statement.
        resolve: async (order, _args, ctx) => {
          const user = await api.loadUser(ctx, order.userId, api.consistencyOf(ctx, order));
          // Only a concurrent deleteUser (which takes the order with it) gets here.
          if (!user) throw new Error(`the owner of order ${encodeOrderId(order)} is gone`);
          return user;
        },
      }),
      status: t.field({ type: OrderStatusEnum, resolve: (order) => order.status }),
      totalCents: t.exposeInt('totalCents'),
      currency: t.exposeString('currency', { description: 'ISO 4217: three upper-case letters' }),
      createdAt: t.field({ type: api.DateTime, resolve: (order) => timestampToIso(order.createdAt) }),
      shardId: t.exposeInt('shardId'),
    }),
  });

  // A Federation v2 entity keyed by id: `_entities` resolves orders through
  // the request's per-shard loader, like `order`. Async so that a bad
  // representation fails alone.
  builder.asEntity(OrderRef, {
    key: builder.selection<{ id: string }>('id'),
    resolveReference: async (ref, ctx) => {
      if (typeof ref.id !== 'string') throw api.errors.badUserInput('representations.id', 'must be an order id');
      return ordersByKeyLoader(kit, ctx, 'EVENTUAL').load(validOrderId(api, 'representations.id', ref.id));
    },
  });

  return { OrderRef, OrderStatusEnum, OrderOrderEnum };
}
