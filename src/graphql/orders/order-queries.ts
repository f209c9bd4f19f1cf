import type { Order } from '../../repository/orders/order.js';
import { builder } from '../builder.js';
import { ReadConsistencyEnum } from '../schema/read-consistency.js';
import { ordersByKeyLoader } from './order-loaders.js';
import { OrderRef } from './order-type.js';
import { validOrderId, validOrderIds } from './validate-order-input.js';

builder.queryFields((t) => ({
  order: t.field({
    type: OrderRef,
    nullable: true,
    args: {
      id: t.arg.id({ required: true }),
      consistency: t.arg({ type: ReadConsistencyEnum, defaultValue: 'EVENTUAL' }),
    },
    // The id names the owner: one statement on one shard, batched with every other lookup by id of the request.
    resolve: (_root, args, ctx) => ordersByKeyLoader(ctx, args.consistency ?? 'EVENTUAL').load(validOrderId('id', args.id)),
  }),
  ordersByIds: t.field({
    type: [OrderRef],
    nullable: { list: false, items: true },
    description: 'same order as asked, null where missing',
    args: {
      ids: t.arg.idList({ required: true }),
      consistency: t.arg({ type: ReadConsistencyEnum, defaultValue: 'EVENTUAL' }),
    },
    resolve: (_root, args, ctx) =>
      ordersByKeyLoader(ctx, args.consistency ?? 'EVENTUAL').loadMany(validOrderIds('ids', args.ids)) as Promise<(Order | null)[]>,
  }),
}));
