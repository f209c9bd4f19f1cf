import type { ReadPolicy } from '../../sharding/read-policy.js';
import { SqlError, UserNotFoundError } from '../errors.js';
import type { RequestScope } from '../request-scope.js';
import type { ShardDoor } from '../shard-door.js';
import type { Timestamp } from '../timestamp.js';
import { allowedFrom, type NewOrder, type Order, type OrderKey, type OrderSlice, type OrderStatus } from './order.js';
import { InvalidStatusTransitionError, OrderNotFoundError } from './order-errors.js';
import { encodeOrderId, newStoredOrderId } from './order-id.js';
import {
  countOrdersStatement,
  INSERT_ORDER,
  INSERT_ORDERS_BULK,
  orderCountsOfUsersStatement,
  ordersOfUsersStatement,
  ordersPageStatement,
  SELECT_ORDERS_BY_KEYS,
  TRANSITION_ORDER,
  type SliceShape,
} from './order-statements.js';

interface OrderRow {
  order_id: string;
  user_id: string;
  status: OrderStatus;
  total_cents: string | number;
  currency: string;
  created_at: Timestamp;
}

const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Orders, stored on their owner's shard. Every statement goes through the
 * door (ShardDoor): single-order operations route by the owner's userId
 * (which the order's id carries); the `...OnShard` operations serve the
 * request's per-shard batches and the scatter-gather of `orders` pages.
 */
export class OrderRepository {
  constructor(private readonly door: ShardDoor) {}

  forRequest(scope: RequestScope): OrderRepository {
    return new OrderRepository(this.door.forRequest(scope));
  }

  shardIdOf(userId: string): number {
    return this.door.shardIdOf(userId);
  }

  /**
   * → the owner's primary; status PENDING. USER_NOT_FOUND comes from the
   * foreign key, not from a read first: a user deleted at the same moment
   * either takes the new order with it or makes the insert fail.
   */
  create(order: NewOrder): Promise<Order> {
    return this.door.writeFor(order.userId, async (shardId, write) => {
      try {
        const { rows } = await write<OrderRow>(INSERT_ORDER, [newStoredOrderId(), order.userId, order.totalCents, order.currency]);
        return toOrder(rows[0]!, shardId);
      } catch (err) {
        if (err instanceof SqlError && err.sqlState === FOREIGN_KEY_VIOLATION) throw new UserNotFoundError(order.userId);
        throw err;
      }
    });
  }

  /**
   * → the owner's primary, one statement: applies only from a status that
   * leads to `status`, judged on the stored row. ORDER_NOT_FOUND when there
   * is no such order, INVALID_STATUS_TRANSITION when it is in another status.
   */
  transition(key: OrderKey, status: OrderStatus): Promise<Order> {
    return this.door.writeFor(key.userId, async (shardId, write) => {
      const { rows } = await write<OrderRow & { applied: boolean }>(TRANSITION_ORDER, [
        key.userId,
        key.orderId,
        status,
        allowedFrom(status),
      ]);
      const row = rows[0];
      if (!row) throw new OrderNotFoundError(encodeOrderId(key));
      if (!row.applied) throw new InvalidStatusTransitionError(row.status, status);
      return toOrder(row, shardId);
    });
  }

  /** The orders among `keys` stored on `shardId`, in one statement; order not guaranteed, missing ones absent. */
  async getManyOnShard(shardId: number, keys: readonly OrderKey[], policy: ReadPolicy): Promise<Order[]> {
    if (keys.length === 0) return [];
    const { rows } = await this.door.read<OrderRow>(
      shardId,
      policy,
      SELECT_ORDERS_BY_KEYS,
      [keys.map((k) => k.userId), keys.map((k) => k.orderId)],
      { batchSize: keys.length },
    );
    return rows.map((r) => toOrder(r, shardId));
  }

  /**
   * The first `slice.limit` orders of each of `userIds` (all on `shardId`),
   * in one statement whatever their number; grouped by user, in slice order.
   */
  async slicesOfUsersOnShard(
    shardId: number,
    userIds: readonly string[],
    slice: OrderSlice,
    policy: ReadPolicy,
  ): Promise<Map<string, Order[]>> {
    const byUser = new Map<string, Order[]>();
    if (userIds.length === 0) return byUser;
    const params: unknown[] = [userIds];
    if (slice.status) params.push(slice.status);
    if (slice.after) params.push(slice.after.createdAt, slice.after.orderId);
    const { rows } = await this.door.read<OrderRow>(shardId, policy, ordersOfUsersStatement(shapeOf(slice)), params, {
      batchSize: userIds.length,
    });
    for (const row of rows) {
      const order = toOrder(row, shardId);
      const list = byUser.get(order.userId);
      if (list) list.push(order);
      else byUser.set(order.userId, [order]);
    }
    return byUser;
  }

  /** How many orders (in `status`, or all) each of `userIds` (all on `shardId`) has, in one statement. */
  async countsOfUsersOnShard(
    shardId: number,
    userIds: readonly string[],
    status: OrderStatus | null,
    policy: ReadPolicy,
  ): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (userIds.length === 0) return counts;
    const { rows } = await this.door.read<{ user_id: string; n: string }>(
      shardId,
      policy,
      orderCountsOfUsersStatement(status !== null),
      status === null ? [userIds] : [userIds, status],
      { batchSize: userIds.length },
    );
    for (const row of rows) counts.set(row.user_id, Number(row.n));
    return counts;
  }

  /** One shard's part of a root `orders` page. */
  async pageOnShard(shardId: number, slice: OrderSlice, policy: ReadPolicy): Promise<Order[]> {
    const params: unknown[] = [];
    if (slice.status) params.push(slice.status);
    if (slice.after) params.push(slice.after.createdAt, slice.after.orderId);
    const { rows } = await this.door.read<OrderRow>(shardId, policy, ordersPageStatement(shapeOf(slice)), params);
    return rows.map((r) => toOrder(r, shardId));
  }

  async countOnShard(shardId: number, status: OrderStatus | null, policy: ReadPolicy): Promise<number> {
    const { rows } = await this.door.read<{ n: string }>(
      shardId,
      policy,
      countOrdersStatement(status !== null),
      status === null ? [] : [status],
    );
    return Number(rows[0]!.n);
  }

  /** Bulk insert of orders whose owners all live on `shardId` (seeding, benchmarks). Returns how many were new. */
  async insertManyOnShard(shardId: number, orders: readonly (NewOrder & { status?: OrderStatus; orderId?: string })[]): Promise<number> {
    for (const o of orders) {
      if (this.shardIdOf(o.userId) !== shardId) throw new RangeError(`user ${o.userId} does not live on shard ${shardId}`);
    }
    const { rowCount } = await this.door.writeOnShard(shardId, INSERT_ORDERS_BULK, [
      orders.map((o) => o.orderId ?? newStoredOrderId()),
      orders.map((o) => o.userId),
      orders.map((o) => o.status ?? 'PENDING'),
      orders.map((o) => o.totalCents),
      orders.map((o) => o.currency),
    ]);
    return rowCount;
  }
}

function shapeOf(slice: OrderSlice): SliceShape {
  return { direction: slice.direction, byStatus: slice.status !== null, afterCursor: slice.after !== null, limit: slice.limit };
}

function toOrder(row: OrderRow, shardId: number): Order {
  return {
    orderId: row.order_id,
    userId: row.user_id,
    status: row.status,
    totalCents: Number(row.total_cents),
    currency: row.currency,
    createdAt: row.created_at,
    shardId,
  };
}
