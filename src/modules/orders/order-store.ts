import type { ModuleApi, ReadConsistency, RequestContext } from '../module-api.js';
import { allowedFrom, type NewOrder, type Order, type OrderKey, type OrderSlice, type OrderStatus, type Timestamp } from './order.js';
import { encodeOrderId, newStoredOrderId } from './order-id.js';
import type { OrderStatements, SliceShape } from './order-statements.js';

interface OrderRow {
  order_id: string;
  user_id: string;
  status: OrderStatus;
  total_cents: string | number;
  currency: string;
  created_at: Timestamp;
}

/**
 * Orders, stored on their owner's shard, for one request. Every statement
 * goes through the module API's door: single-order operations route by the
 * owner's userId (which the order's id carries); the `...OnShard` operations
 * serve the request's per-shard batches and the scatter-gather of `orders` pages.
 */
export class OrderStore {
  constructor(
    private readonly api: ModuleApi,
    private readonly statements: OrderStatements,
    private readonly ctx: RequestContext,
  ) {}

  private get door() {
    return this.api.db(this.ctx);
  }

  /**
   * → the owner's primary; status PENDING. USER_NOT_FOUND comes from the
   * foreign key, not from a read first: a user deleted at the same moment
   * either takes the new order with it or makes the insert fail.
   */
  async create(order: NewOrder): Promise<Order> {
    try {
      const { rows, shardId } = await this.door.write<OrderRow>(order.userId, this.statements.insert, [
        newStoredOrderId(),
        order.userId,
        order.totalCents,
        order.currency,
      ]);
      return toOrder(rows[0]!, shardId);
    } catch (err) {
      if (this.api.errors.isForeignKeyViolation(err)) throw this.api.errors.userNotFound(order.userId);
      throw err;
    }
  }

  /**
   * → the owner's primary, one statement: applies only from a status that
   * leads to `status`, judged on the stored row. ORDER_NOT_FOUND when there
   * is no such order, INVALID_STATUS_TRANSITION when it is in another status.
   */
  async transition(key: OrderKey, status: OrderStatus): Promise<Order> {
    const { rows, shardId } = await this.door.write<OrderRow & { applied: boolean }>(key.userId, this.statements.transition, [
      key.userId,
      key.orderId,
      status,
      allowedFrom(status),
    ]);
    const row = rows[0];
    if (!row) throw this.api.errors.withCode('ORDER_NOT_FOUND', `no order with id ${JSON.stringify(encodeOrderId(key))}`);
    if (!row.applied) throw this.api.errors.withCode('INVALID_STATUS_TRANSITION', `an order cannot move from ${row.status} to ${status}`);
    return toOrder(row, shardId);
  }

  /** The orders among `keys` stored on `shardId`, in one statement; order not guaranteed, missing ones absent. */
  async getManyOnShard(shardId: number, keys: readonly OrderKey[], consistency: ReadConsistency): Promise<Order[]> {
    if (keys.length === 0) return [];
    const { rows } = await this.door.read<OrderRow>(
      shardId,
      this.statements.selectMany,
      [keys.map((k) => k.userId), keys.map((k) => k.orderId)],
      { consistency, batchSize: keys.length },
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
    consistency: ReadConsistency,
  ): Promise<Map<string, Order[]>> {
    const byUser = new Map<string, Order[]>();
    if (userIds.length === 0) return byUser;
    const params: unknown[] = [userIds];
    if (slice.status) params.push(slice.status);
    if (slice.after) params.push(slice.after.createdAt, slice.after.orderId);
    const { rows } = await this.door.read<OrderRow>(shardId, this.statements.ofUsers(shapeOf(slice)), params, {
      consistency,
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
    consistency: ReadConsistency,
  ): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (userIds.length === 0) return counts;
    const { rows } = await this.door.read<{ user_id: string; n: string }>(
      shardId,
      this.statements.countsOfUsers(status !== null),
      status === null ? [userIds] : [userIds, status],
      { consistency, batchSize: userIds.length },
    );
    for (const row of rows) counts.set(row.user_id, Number(row.n));
    return counts;
  }

  /** One shard's part of a root `orders` page. */
  async pageOnShard(shardId: number, slice: OrderSlice, consistency: ReadConsistency): Promise<Order[]> {
    const params: unknown[] = [];
    if (slice.status) params.push(slice.status);
    if (slice.after) params.push(slice.after.createdAt, slice.after.orderId);
    const { rows } = await this.door.read<OrderRow>(shardId, this.statements.page(shapeOf(slice)), params, { consistency });
    return rows.map((r) => toOrder(r, shardId));
  }

  async countOnShard(shardId: number, status: OrderStatus | null, consistency: ReadConsistency): Promise<number> {
    const { rows } = await this.door.read<{ n: string }>(shardId, this.statements.count(status !== null), status === null ? [] : [status], {
      consistency,
    });
    return Number(rows[0]!.n);
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
