import type { KeyText, ModuleCursors, ShardPositions } from '../module-api.js';
import { ORDER_STATUSES, type OrderDirection, type OrderSortKey, type OrderStatus } from './order.js';

/**
 * The opaque cursor of an orders page (`orders` and `User.orders`): the sort
 * key of the last order seen, and the order and filter it was read with, so
 * that a cursor is only accepted by a page of the same orderBy and status.
 *
 * Formats (versioned): base64url of `o1|<a|d>|<status or ->|<createdAt>|<orderId>`
 * when every shard stands at that order (always, unless a root `orders` page
 * was served without some shards: `allowPartialResults`); then `o2`, a line
 * `o2|<status or ->` followed by the per-shard positions (`writePositions`,
 * tagged with the direction), which keeps each shard's own position.
 */
export interface OrderCursor extends OrderSortKey {
  readonly direction: OrderDirection;
  readonly status: OrderStatus | null;
}

/** Where a root `orders` walk stands: its order and filter, and each shard's position. */
export interface OrdersAfter {
  readonly direction: OrderDirection;
  readonly status: OrderStatus | null;
  readonly positions: ShardPositions<OrderSortKey>;
}

const STORED_ID = /^[A-Za-z0-9_-]{22}$/;

/** The longest order key in a cursor: a 27-character instant, `|`, a 22-character order id. */
const MAX_KEY_CHARS = 27 + 1 + 22;

/**
 * The longest `o2` cursor text accepted for `shardCount` shards: a header
 * (status and shard count), and per shard at most one line with its key.
 * Rejecting longer texts before decoding bounds the work a forged cursor can cause.
 */
export function maxOrdersCursorChars(shardCount: number, cursors: ModuleCursors): number {
  const n = Math.min(Math.max(shardCount, 1), cursors.maxShards);
  return Math.ceil(((32 + (n + 1) * (MAX_KEY_CHARS + 8)) * 4) / 3);
}

export function encodeOrderCursor(cursor: OrderCursor): string {
  const dir = cursor.direction === 'asc' ? 'a' : 'd';
  return Buffer.from(`o1|${dir}|${cursor.status ?? '-'}|${cursor.createdAt}|${cursor.orderId}`, 'utf8').toString('base64url');
}

/** The cursor for `after`: `o1` when every shard stands at one order, else `o2` (also when every shard is still at its start). */
export function encodeOrdersAfter(after: OrdersAfter, cursors: ModuleCursors): string {
  const common = cursors.commonPosition(after.positions, sameOrderKey);
  // The key may be a whole order (with a status of its own): only its sort key is taken.
  if (common)
    return encodeOrderCursor({ direction: after.direction, status: after.status, createdAt: common.createdAt, orderId: common.orderId });
  const text = `o2|${after.status ?? '-'}\n${cursors.writePositions(after.direction === 'asc' ? 'a' : 'd', after.positions, orderKeyText(cursors))}`;
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** The cursor, or null when the text is not an `o1` cursor this gateway made (checked in full: it never reaches PostgreSQL otherwise). */
export function decodeOrderCursor(text: string, cursors: ModuleCursors): OrderCursor | null {
  const decoded = cursors.decodeText(text, 200);
  if (decoded === null) return null;
  const parts = /^o1\|([ad])\|([A-Z]+|-)\|(.+)$/s.exec(decoded);
  if (!parts) return null;
  const status = statusOf(parts[2]!);
  const key = orderKeyText(cursors).read(parts[3]!);
  if (status === undefined || !key) return null;
  return { direction: parts[1] === 'a' ? 'asc' : 'desc', status, ...key };
}

/**
 * An `o1` or `o2` cursor as per-shard positions (an `o1` cursor puts every
 * shard of `shardCount` at its order), or null when the text is not one
 * this gateway made for at most `shardCount`-ish shards (see maxOrdersCursorChars).
 */
export function decodeOrdersAfter(text: string, shardCount: number, cursors: ModuleCursors): OrdersAfter | null {
  const o1 = decodeOrderCursor(text, cursors);
  if (o1) {
    const { direction, status, ...key } = o1;
    return { direction, status, positions: { shardCount, positions: Array.from({ length: shardCount }, () => key) } };
  }
  const decoded = cursors.decodeText(text, maxOrdersCursorChars(shardCount, cursors));
  if (decoded === null) return null;
  const head = /^o2\|([A-Z]+|-)\n/.exec(decoded);
  if (!head) return null;
  const status = statusOf(head[1]!);
  if (status === undefined) return null;
  const read = cursors.readPositions(decoded.slice(head[0].length), orderKeyText(cursors));
  if (!read || (read.tag !== 'a' && read.tag !== 'd')) return null;
  return { direction: read.tag === 'a' ? 'asc' : 'desc', status, positions: read.positions };
}

/** Equality of keys (0) is all commonPosition asks. */
function sameOrderKey(a: OrderSortKey, b: OrderSortKey): number {
  return a.createdAt === b.createdAt && a.orderId === b.orderId ? 0 : 1;
}

function orderKeyText(cursors: ModuleCursors): KeyText<OrderSortKey> {
  return {
    write: (key) => `${key.createdAt}|${key.orderId}`,
    read: (text) => {
      const parts = /^([^|]+)\|([^|]+)$/.exec(text);
      if (!parts) return null;
      const [, createdAt, orderId] = parts as unknown as [string, string, string];
      if (!cursors.isTimestamp(createdAt) || !STORED_ID.test(orderId)) return null;
      return { createdAt, orderId };
    },
  };
}

/** The status filter a cursor names (null: all), or undefined for anything else. */
function statusOf(text: string): OrderStatus | null | undefined {
  if (text === '-') return null;
  return (ORDER_STATUSES as readonly string[]).includes(text) ? (text as OrderStatus) : undefined;
}
