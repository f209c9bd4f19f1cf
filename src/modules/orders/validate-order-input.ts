import type { ModuleApi, ShardPositions } from '../module-api.js';
import type { OrderDirection, OrderKey, OrderSortKey, OrderStatus } from './order.js';
import { decodeOrderCursor, decodeOrdersAfter } from './order-cursor.js';
import { decodeOrderId } from './order-id.js';

/** What the checks need of the module API: its errors, userId rule, list limit and cursor codec. */
type Checks = Pick<ModuleApi, 'errors' | 'validUserId' | 'maxIds' | 'cursors'>;

/*
 * Every orders argument, checked before any SQL: a bad one answers
 * BAD_USER_INPUT naming the argument (`extensions.field`) and changes nothing.
 */

/** The largest total a client may send: GraphQL's Int. */
export const MAX_TOTAL_CENTS = 2_147_483_647;

/** An order id this API made: its owner and key. Anything else (forged, truncated, garbled) is refused here. */
export function validOrderId(api: Checks, field: string, id: string): OrderKey {
  const key = decodeOrderId(id);
  if (!key) throw api.errors.badUserInput(field, 'not an order id made by this API');
  try {
    api.validUserId(field, key.userId);
  } catch {
    throw api.errors.badUserInput(field, 'not an order id made by this API');
  }
  return key;
}

export function validOrderIds(api: Checks, field: string, ids: readonly string[]): OrderKey[] {
  if (ids.length > api.maxIds) throw api.errors.badUserInput(field, `at most ${api.maxIds} ids per request, got ${ids.length}`);
  return ids.map((id, i) => {
    const key = decodeOrderId(id);
    if (key) {
      try {
        api.validUserId(field, key.userId);
        return key;
      } catch {
        // refused below, naming the element
      }
    }
    throw api.errors.badUserInput(field, `element ${i}: not an order id made by this API`);
  });
}

/** ISO 4217 form: three upper-case letters. */
export function validCurrency(api: Checks, field: string, value: string): string {
  if (!/^[A-Z]{3}$/.test(value)) throw api.errors.badUserInput(field, 'must be three upper-case letters (ISO 4217), e.g. EUR');
  return value;
}

export function validTotalCents(api: Checks, field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_TOTAL_CENTS) {
    throw api.errors.badUserInput(field, `must be an integer from 0 to ${MAX_TOTAL_CENTS}`);
  }
  return value;
}

/** A cursor this API made for a page of the same orderBy and status filter. */
export function validOrderCursor(
  api: Checks,
  field: string,
  text: string | null | undefined,
  direction: OrderDirection,
  status: OrderStatus | null,
): OrderSortKey | null {
  if (text === null || text === undefined) return null;
  const cursor = decodeOrderCursor(text, api.cursors);
  if (!cursor) throw api.errors.badUserInput(field, 'not a cursor returned by this API');
  checkCursorSlice(api, field, cursor, direction, status);
  return { createdAt: cursor.createdAt, orderId: cursor.orderId };
}

/**
 * A cursor this API made for a root `orders` page of the same orderBy and
 * status filter, as each shard's position (`o1` or `o2`, see order-cursor.ts).
 */
export function validOrdersAfter(
  api: Checks,
  field: string,
  text: string | null | undefined,
  direction: OrderDirection,
  status: OrderStatus | null,
  shardCount: number,
): ShardPositions<OrderSortKey> | null {
  if (text === null || text === undefined) return null;
  const cursor = decodeOrdersAfter(text, shardCount, api.cursors);
  if (!cursor) throw api.errors.badUserInput(field, 'not a cursor returned by this API');
  checkCursorSlice(api, field, cursor, direction, status);
  return cursor.positions;
}

function checkCursorSlice(
  api: Checks,
  field: string,
  cursor: { direction: OrderDirection; status: OrderStatus | null },
  direction: OrderDirection,
  status: OrderStatus | null,
): void {
  if (cursor.direction !== direction) {
    throw api.errors.badUserInput(
      field,
      `this cursor belongs to orderBy ${cursor.direction === 'asc' ? 'CREATED_AT_ASC' : 'CREATED_AT_DESC'}`,
    );
  }
  if (cursor.status !== status) throw api.errors.badUserInput(field, `this cursor belongs to status ${cursor.status ?? 'null (all)'}`);
}
