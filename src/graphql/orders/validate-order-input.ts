import type { OrderDirection, OrderKey, OrderSortKey, OrderStatus } from '../../repository/orders/order.js';
import { decodeOrderId } from '../../repository/orders/order-id.js';
import { BadUserInputError } from '../errors.js';
import { MAX_IDS, validUserId } from '../validate-input.js';
import type { ShardPositions } from '../pagination/shard-positions.js';
import { decodeOrderCursor, decodeOrdersAfter } from './order-cursor.js';

/*
 * Every orders argument, checked before any SQL: a bad one answers
 * BAD_USER_INPUT naming the argument (`extensions.field`) and changes nothing.
 */

/** The largest total a client may send: GraphQL's Int. */
export const MAX_TOTAL_CENTS = 2_147_483_647;

/** An order id this API made: its owner and key. Anything else (forged, truncated, garbled) is refused here. */
export function validOrderId(field: string, id: string): OrderKey {
  const key = decodeOrderId(id);
  if (!key) throw new BadUserInputError(field, 'not an order id made by this API');
  try {
    validUserId(field, key.userId);
  } catch {
    throw new BadUserInputError(field, 'not an order id made by this API');
  }
  return key;
}

export function validOrderIds(field: string, ids: readonly string[]): OrderKey[] {
  if (ids.length > MAX_IDS) throw new BadUserInputError(field, `at most ${MAX_IDS} ids per request, got ${ids.length}`);
  return ids.map((id, i) => {
    try {
      return validOrderId(field, id);
    } catch (err) {
      if (err instanceof BadUserInputError) throw new BadUserInputError(field, `element ${i}: not an order id made by this API`);
      throw err;
    }
  });
}

/** ISO 4217 form: three upper-case letters. */
export function validCurrency(field: string, value: string): string {
  if (!/^[A-Z]{3}$/.test(value)) throw new BadUserInputError(field, 'must be three upper-case letters (ISO 4217), e.g. EUR');
  return value;
}

export function validTotalCents(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_TOTAL_CENTS) {
    throw new BadUserInputError(field, `must be an integer from 0 to ${MAX_TOTAL_CENTS}`);
  }
  return value;
}

/** A cursor this API made for a page of the same orderBy and status filter. */
export function validOrderCursor(
  field: string,
  text: string | null | undefined,
  direction: OrderDirection,
  status: OrderStatus | null,
): OrderSortKey | null {
  if (text === null || text === undefined) return null;
  const cursor = decodeOrderCursor(text);
  if (!cursor) throw new BadUserInputError(field, 'not a cursor returned by this API');
  checkCursorSlice(field, cursor, direction, status);
  return { createdAt: cursor.createdAt, orderId: cursor.orderId };
}

/**
 * A cursor this API made for a root `orders` page of the same orderBy and
 * status filter, as each shard's position (`o1` or `o2`, see order-cursor.ts).
 */
export function validOrdersAfter(
  field: string,
  text: string | null | undefined,
  direction: OrderDirection,
  status: OrderStatus | null,
  shardCount: number,
): ShardPositions<OrderSortKey> | null {
  if (text === null || text === undefined) return null;
  const cursor = decodeOrdersAfter(text, shardCount);
  if (!cursor) throw new BadUserInputError(field, 'not a cursor returned by this API');
  checkCursorSlice(field, cursor, direction, status);
  return cursor.positions;
}

function checkCursorSlice(
  field: string,
  cursor: { direction: OrderDirection; status: OrderStatus | null },
  direction: OrderDirection,
  status: OrderStatus | null,
): void {
  if (cursor.direction !== direction) {
    throw new BadUserInputError(
      field,
      `this cursor belongs to orderBy ${cursor.direction === 'asc' ? 'CREATED_AT_ASC' : 'CREATED_AT_DESC'}`,
    );
  }
  if (cursor.status !== status) throw new BadUserInputError(field, `this cursor belongs to status ${cursor.status ?? 'null (all)'}`);
}
