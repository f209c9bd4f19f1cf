import type { OrderDirection, OrderSortKey, OrderStatus } from '../../repository/orders/order.js';
import { ORDER_STATUSES } from '../../repository/orders/order.js';
import { isTimestamp } from '../../repository/timestamp.js';

/**
 * The opaque cursor of an orders page (`orders` and `User.orders`): the sort
 * key of the last order seen, and the order and filter it was read with, so
 * that a cursor is only accepted by a page of the same orderBy and status.
 *
 * Format (versioned): base64url of `o1|<a|d>|<status or ->|<createdAt>|<orderId>`.
 */
export interface OrderCursor extends OrderSortKey {
  readonly direction: OrderDirection;
  readonly status: OrderStatus | null;
}

const STORED_ID = /^[A-Za-z0-9_-]{22}$/;

export function encodeOrderCursor(cursor: OrderCursor): string {
  const dir = cursor.direction === 'asc' ? 'a' : 'd';
  return Buffer.from(`o1|${dir}|${cursor.status ?? '-'}|${cursor.createdAt}|${cursor.orderId}`, 'utf8').toString('base64url');
}

/** The cursor, or null when the text is not one this gateway made (checked in full: it never reaches PostgreSQL otherwise). */
export function decodeOrderCursor(text: string): OrderCursor | null {
  if (text.length === 0 || text.length > 200 || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) return null;
  const parts = /^o1\|([ad])\|([A-Z]+|-)\|([^|]+)\|([^|]+)$/.exec(bytes.toString('latin1'));
  if (!parts) return null;
  const [, dir, status, createdAt, orderId] = parts as unknown as [string, string, string, string, string];
  if (status !== '-' && !(ORDER_STATUSES as readonly string[]).includes(status)) return null;
  if (!isTimestamp(createdAt) || !STORED_ID.test(orderId)) return null;
  return { direction: dir === 'a' ? 'asc' : 'desc', status: status === '-' ? null : (status as OrderStatus), createdAt, orderId };
}
