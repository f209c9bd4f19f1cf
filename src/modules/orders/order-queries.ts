import type { Order } from './order.js';
import { ordersByKeyLoader, type OrdersKit } from './order-loaders.js';
import type { OrderTypes } from './order-type.js';
import { validOrderId, validOrderIds } from './validate-order-input.js';

/** `order` and `ordersByIds`: lookups by id. */
export function defineOrderQueries(kit: OrdersKit, { OrderRef }: OrderTypes): void {
  const { api } = kit;
  api.builder.queryFields((t) => ({
    order: t.field({
      type: OrderRef,
      nullable: true,
      args: {
        id: t.arg.id({ required: true }),
        consistency: t.arg({ type: api.ReadConsistency, defaultValue: 'EVENTUAL' }),
      },
      // The id names the owner: one statement on one shard, batched with every other lookup by id of the request.
      resolve: (_root, args, ctx) => ordersByKeyLoader(kit, ctx, args.consistency ?? 'EVENTUAL').load(validOrderId(api, 'id', args.id)),
    }),
    ordersByIds: t.field({
      type: [OrderRef],
      nullable: { list: false, items: true },
      description: 'same order as asked, null where missing',
      args: {
        ids: t.arg.idList({ required: true }),
        consistency: t.arg({ type: api.ReadConsistency, defaultValue: 'EVENTUAL' }),
      },
      resolve: (_root, args, ctx) =>
        ordersByKeyLoader(kit, ctx, args.consistency ?? 'EVENTUAL').loadMany(validOrderIds(api, 'ids', args.ids)) as Promise<
          (Order | null)[]
        >,
    }),
  }));
}
