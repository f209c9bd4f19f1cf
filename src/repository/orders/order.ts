import type { Timestamp } from '../timestamp.js';

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
  /** Canonical UTC text with microseconds (see timestamp.ts). */
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
