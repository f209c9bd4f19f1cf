import { createHash } from 'node:crypto';
import type { OrderStatus } from '../src/cli/seed-demo-orders.js';
import { demoUser } from '../src/cli/seed-demo-users.js';

/*
 * The orders both sides of the bench get: more per user than the demo seed
 * (0 to 10, 5 on average), so that a page of 5 per user is cut by its limit
 * for about half of the users and the per-user limit is really exercised.
 * Deterministic, so both databases hold the very same rows.
 */

/** The most orders a bench user has. */
export const MAX_BENCH_ORDERS = 10;

const STATUSES: readonly OrderStatus[] = ['PENDING', 'PAID', 'SHIPPED', 'CANCELLED', 'PAID'];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'JPY'];

export interface BenchOrder {
  readonly userId: string;
  /** The stored key (16 bytes as base64url), derived from (i, k). */
  readonly orderId: string;
  readonly status: OrderStatus;
  readonly totalCents: number;
  readonly currency: string;
}

/** How many orders demo user `i` (1-based) has in the bench. */
export function benchOrderCount(i: number): number {
  return i % (MAX_BENCH_ORDERS + 1);
}

/** The orders of demo user `i`, oldest first (the order they are inserted in). */
export function benchOrders(i: number): BenchOrder[] {
  const { userId } = demoUser(i);
  return Array.from({ length: benchOrderCount(i) }, (_, k) => ({
    userId,
    orderId: createHash('sha256').update(`bench-order-${i}-${k}`).digest().subarray(0, 16).toString('base64url'),
    status: STATUSES[(i + k) % STATUSES.length]!,
    totalCents: ((i * 7919 + k * 104729) % 50_000) + 99,
    currency: CURRENCIES[(i + k) % CURRENCIES.length]!,
  }));
}

/** The demo user number of `user-<i>`, or null for any other id. */
export function demoUserNumber(userId: string): number | null {
  const match = /^user-([1-9][0-9]*)$/.exec(userId);
  return match ? Number(match[1]) : null;
}

/** How many orders a page of `first` shows for `userId` in the bench's data. */
export function expectedPageSize(userId: string, first: number): number {
  const i = demoUserNumber(userId);
  if (i === null) throw new RangeError(`not a demo user: ${userId}`);
  return Math.min(first, benchOrderCount(i));
}
