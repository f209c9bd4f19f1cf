import type { OrdersKit } from './order-loaders.js';
import type { OrderTypes } from './order-type.js';
import { validCurrency, validOrderId, validTotalCents } from './validate-order-input.js';

/** `createOrder` and `updateOrderStatus`. */
export function defineOrderMutations(kit: OrdersKit, { OrderRef, OrderStatusEnum }: OrderTypes): void {
  const { api } = kit;
  const { builder } = api;
  const CreateOrderInput = builder.inputType('CreateOrderInput', {
    fields: (t) => ({
      userId: t.id({ required: true }),
      totalCents: t.int({ required: true }),
      currency: t.string({ required: true }),
    }),
  });

  // Every argument is validated before any SQL is sent: a bad request changes nothing.
  builder.mutationFields((t) => ({
    createOrder: t.field({
      type: OrderRef,
      description: 'status PENDING',
      args: { input: t.arg({ type: CreateOrderInput, required: true }) },
      resolve: (_root, { input }, ctx) =>
        kit.store(ctx).create({
          userId: api.validUserId('input.userId', input.userId),
          totalCents: validTotalCents(api, 'input.totalCents', input.totalCents),
          currency: validCurrency(api, 'input.currency', input.currency),
        }),
    }),
    updateOrderStatus: t.field({
      type: OrderRef,
      args: {
        id: t.arg.id({ required: true }),
        status: t.arg({ type: OrderStatusEnum, required: true }),
      },
      resolve: (_root, args, ctx) => kit.store(ctx).transition(validOrderId(api, 'id', args.id), args.status),
    }),
  }));
}
