import type { RequestContext, ShardgateModule } from '../module-api.js';
import { defineOrderConnection } from './order-connection.js';
import { ORDERS_BY_KEY, type OrdersKit } from './order-loaders.js';
import { defineOrderMutations } from './order-mutations.js';
import { defineOrderQueries } from './order-queries.js';
import { orderStatements } from './order-statements.js';
import { OrderStore } from './order-store.js';
import { defineOrderTypes } from './order-type.js';

/**
 * Orders, a built-in module on the public module API (see docs/orders.md):
 * `Order`, `User.orders`, `User.orderCount`, `orders`, `order`,
 * `ordersByIds`, `createOrder`, `updateOrderStatus`, and `Order` as a
 * federation entity. It is loaded before any other module, always.
 *
 * Its table is created by shardgate's own migration chain (version 4),
 * where every deployment already has it recorded: the module declares no
 * migration of its own, so nothing is applied or recorded twice. It declares
 * the table as co-located, so `shardgate reshard` moves and verifies orders
 * with their owners like any module's rows.
 */
const orders: ShardgateModule = {
  name: 'orders',
  tables: [{ table: 'orders', ownerColumn: 'user_id' }],
  schema(api) {
    const statements = orderStatements(api);
    // One store per request (the door it uses is the request's).
    const stores = new WeakMap<RequestContext, OrderStore>();
    const kit: OrdersKit = {
      api,
      store(ctx) {
        let store = stores.get(ctx);
        if (!store) {
          store = new OrderStore(api, statements, ctx);
          stores.set(ctx, store);
        }
        return store;
      },
    };
    const types = defineOrderTypes(kit);
    defineOrderConnection(kit, types);
    defineOrderQueries(kit, types);
    defineOrderMutations(kit, types);

    // What each field costs in statements at most, for the statement limit.
    const page = { perShard: 1, perSelectionOf: { totalCount: { perShard: 1 } } };
    api.cost('Query.orders', page);
    api.cost('User.orders', page);
    api.cost('User.orderCount', { perShard: 1 });
    // A new batch of the request's user loader (users it already loaded cost nothing, which the estimate does not know).
    api.cost('Order.user', { perShard: 1 });
    api.cost('Query.order', { lookup: { batch: ORDERS_BY_KEY } });
    api.cost('Query.ordersByIds', { lookup: { batch: ORDERS_BY_KEY, ids: 'ids' } });
    api.entityCost('Order', { lookup: { batch: ORDERS_BY_KEY } });
    api.cost('Mutation.createOrder', { fixed: 1 });
    api.cost('Mutation.updateOrderStatus', { fixed: 1 });
  },
};

export default orders;
