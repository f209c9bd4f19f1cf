import { insertOrdersOnShard, type BulkOrder } from '../../src/cli/seed-demo-orders.js';
import { moduleDoor, operationOf } from '../../src/modules/apply-modules.js';
import type { ModuleApi, ReadConsistency } from '../../src/modules/module-api.js';
import type { OrderSlice, OrderStatus } from '../../src/modules/orders/order.js';
import { orderStatements } from '../../src/modules/orders/order-statements.js';
import { OrderStore } from '../../src/modules/orders/order-store.js';
import type { Shards } from '../../src/repository/open-shards.js';
import { statement } from '../../src/repository/statement.js';

/**
 * The orders module's own reads and a bulk load, outside any request: what
 * tests compare the GraphQL answers with (`primary-only` reads from primaries).
 */
export function orderRows(shards: Shards) {
  const api = {
    db: () => moduleDoor(shards.door),
    errors: { isForeignKeyViolation: () => false },
  } as unknown as ModuleApi;
  const statements = orderStatements({
    statement: (name, sql, options = {}) =>
      statement(`mod_orders_${name}`, operationOf(sql), sql, options.prepared ?? true, options.shownAs ?? sql),
  });
  const store = new OrderStore(api, statements, { requestId: 'test' });
  const consistency = (policy: 'primary-only' | ReadConsistency): ReadConsistency => (policy === 'primary-only' ? 'STRONG' : policy);
  return {
    shardIdOf: (userId: string) => shards.door.shardIdOf(userId),
    insertManyOnShard: (shardId: number, orders: readonly BulkOrder[]) => insertOrdersOnShard(shards.door, shardId, orders),
    slicesOfUsersOnShard: (shardId: number, userIds: readonly string[], slice: OrderSlice, policy: 'primary-only' | ReadConsistency) =>
      store.slicesOfUsersOnShard(shardId, userIds, slice, consistency(policy)),
    countsOfUsersOnShard: (
      shardId: number,
      userIds: readonly string[],
      status: OrderStatus | null,
      policy: 'primary-only' | ReadConsistency,
    ) => store.countsOfUsersOnShard(shardId, userIds, status, consistency(policy)),
    pageOnShard: (shardId: number, slice: OrderSlice, policy: 'primary-only' | ReadConsistency) =>
      store.pageOnShard(shardId, slice, consistency(policy)),
    statements,
  };
}
