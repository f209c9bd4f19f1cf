/**
 * UTC text with microseconds, `2026-11-23T21:07:00.123456Z`: how the door
 * hands a `timestamptz` column over. Fixed width, so text order is time order.
 */
export type Timestamp = string;

/** The life of an order. Transitions: PENDING → PAID → SHIPPED; PENDING or PAID → CANCELLED. */
export type OrderStatus = 'PENDING' | 'PAID' | 'SHIPPED' | 'CANCELLED';

export const ORDER_STATUSES: readonly OrderStatus[] = ['PENDING', 'PAID', 'SHIPPED', 'CANCELLED'];

/** The statuses an order may move to `target` from; empty when nothing leads there. */
export function allowedFrom(target: OrderStatus): readonly OrderStatus[] {
  switch (target) {
    case 'PENDING':
      return [];
    case 'PAID':
      return ['PENDING'];
    case 'SHIPPED':
      return ['PAID'];
    case 'CANCELLED':
      return ['PENDING', 'PAID'];
  }
}

/**
 * Where an order is stored: its owner (the shard key) and its own key among
 * the owner's orders. The public id (order-id.ts) encodes both.
 */
export interface OrderKey {
  readonly userId: string;
  readonly orderId: string;
}

/** An order as stored on its owner's shard. */
export interface Order extends OrderKey {
  readonly status: OrderStatus;
  readonly totalCents: number;
  readonly currency: string;
  /** Canonical UTC text with microseconds (Timestamp). */
  readonly createdAt: Timestamp;
  /** The shard that stores this order (its owner's). */
  readonly shardId: number;
}

export interface NewOrder {
  readonly userId: string;
  readonly totalCents: number;
  readonly currency: string;
}

export type OrderDirection = 'asc' | 'desc';

/** The keyset position of an order: createdAt, then orderId (byte order). */
export interface OrderSortKey {
  readonly createdAt: Timestamp;
  readonly orderId: string;
}

/** What selects and orders a list of orders: one user's, or every shard's. */
export interface OrderSlice {
  readonly direction: OrderDirection;
  /** Only orders in this status; null for all. */
  readonly status: OrderStatus | null;
  /** Strictly after this position in `direction`; null from the start. */
  readonly after: OrderSortKey | null;
  /** Rows to return at most (a page's size plus one, to know whether there is more). */
  readonly limit: number;
}

export function directionOf(orderBy: 'CREATED_AT_ASC' | 'CREATED_AT_DESC' | null | undefined): OrderDirection {
  return orderBy === 'CREATED_AT_ASC' ? 'asc' : 'desc';
}

/** The order of orders, as the statements sort them: createdAt, then the stored key in byte order. */
export function compareOrders(direction: OrderDirection): (a: OrderSortKey, b: OrderSortKey) => number {
  // Stored keys are base64url (ASCII): UTF-16 order is byte order, what `COLLATE "C"` sorts by.
  const asc = (a: OrderSortKey, b: OrderSortKey) =>
    a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? -1 : 1) : a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0;
  return direction === 'asc' ? asc : (a, b) => asc(b, a);
}

/** ISO 8601 with milliseconds, what the DateTime scalar shows. */
export function timestampToIso(ts: Timestamp): string {
  return `${ts.slice(0, 23)}Z`;
}
