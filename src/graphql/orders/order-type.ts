import type { Order, OrderDirection, OrderSortKey } from '../../repository/orders/order.js';
import { encodeOrderId } from '../../repository/orders/order-id.js';
import { timestampToIso } from '../../repository/timestamp.js';
import { builder } from '../builder.js';
import { BadUserInputError } from '../errors.js';
import { compareCodePoints } from '../pagination/compare-sort-keys.js';
import { DateTime } from '../schema/date-time.js';
import { UserRef } from '../schema/user.js';
import { consistencyAfter, ordersByKeyLoader } from './order-loaders.js';
import { validOrderId } from './validate-order-input.js';

export const OrderStatusEnum = builder.enumType('OrderStatus', {
  values: ['PENDING', 'PAID', 'SHIPPED', 'CANCELLED'] as const,
});

export const OrderOrderEnum = builder.enumType('OrderOrder', {
  description: 'ties broken by id',
  values: ['CREATED_AT_ASC', 'CREATED_AT_DESC'] as const,
});

export function directionOf(orderBy: 'CREATED_AT_ASC' | 'CREATED_AT_DESC' | null | undefined): OrderDirection {
  return orderBy === 'CREATED_AT_ASC' ? 'asc' : 'desc';
}

/** The order of orders, as the statements sort them: createdAt, then the stored key in byte order. */
export function compareOrders(direction: OrderDirection): (a: OrderSortKey, b: OrderSortKey) => number {
  const asc = (a: OrderSortKey, b: OrderSortKey) =>
    a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? -1 : 1) : compareCodePoints(a.orderId, b.orderId);
  return direction === 'asc' ? asc : (a, b) => asc(b, a);
}

export const OrderRef = builder.objectRef<Order>('Order');

OrderRef.implement({
  fields: (t) => ({
    id: t.id({
      description: "opaque; carries the owner's userId, so a lookup by id goes to one shard",
      resolve: (order) => encodeOrderId(order),
    }),
    userId: t.exposeID('userId'),
    user: t.field({
      type: UserRef,
      description: 'the owner: same shard, batched with every other user lookup of the request',
      // The request's user loader: a user the request already loaded costs no statement.
      resolve: async (order, _args, ctx) => {
        const user = await ctx.loaders.for(consistencyAfter(ctx, order)).load(order.userId);
        // Only a concurrent deleteUser (which takes the order with it) gets here.
        if (!user) throw new Error(`the owner of order ${encodeOrderId(order)} is gone`);
        return user;
      },
    }),
    status: t.field({ type: OrderStatusEnum, resolve: (order) => order.status }),
    totalCents: t.exposeInt('totalCents'),
    currency: t.exposeString('currency', { description: 'ISO 4217: three upper-case letters' }),
    createdAt: t.field({ type: DateTime, resolve: (order) => timestampToIso(order.createdAt) }),
    shardId: t.exposeInt('shardId'),
  }),
});

// A Federation v2 entity keyed by id: `_entities` resolves orders through
// the request's per-shard loader, like `order`. Async so that a bad
// representation fails alone.
builder.asEntity(OrderRef, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: async (ref, ctx) => {
    if (typeof ref.id !== 'string') throw new BadUserInputError('representations.id', 'must be an order id');
    return ordersByKeyLoader(ctx, 'EVENTUAL').load(validOrderId('representations.id', ref.id));
  },
});
