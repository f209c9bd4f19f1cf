import { builder } from '../builder.js';
import { validUserId } from '../validate-input.js';
import { OrderRef, OrderStatusEnum } from './order-type.js';
import { validCurrency, validOrderId, validTotalCents } from './validate-order-input.js';

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
      ctx.orders.create({
        userId: validUserId('input.userId', input.userId),
        totalCents: validTotalCents('input.totalCents', input.totalCents),
        currency: validCurrency('input.currency', input.currency),
      }),
  }),
  updateOrderStatus: t.field({
    type: OrderRef,
    args: {
      id: t.arg.id({ required: true }),
      status: t.arg({ type: OrderStatusEnum, required: true }),
    },
    resolve: (_root, args, ctx) => ctx.orders.transition(validOrderId('id', args.id), args.status),
  }),
}));
