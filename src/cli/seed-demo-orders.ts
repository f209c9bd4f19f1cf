import { createHash, randomBytes } from 'node:crypto';
import type { ShardDoor } from '../repository/shard-door.js';
import { statement } from '../repository/statement.js';
import { settleAll } from '../util/settle-all.js';
import { demoUser } from './seed-demo-users.js';

export type OrderStatus = 'PENDING' | 'PAID' | 'SHIPPED' | 'CANCELLED';

/**
 * Bulk load of demo orders (the built-in orders module's table), all owners
 * on one shard: clock_timestamp() gives each row its own time; a row seeded
 * before is left alone.
 */
const INSERT_ORDERS_BULK = statement(
  'seed_orders_insert_bulk',
  'INSERT',
  `INSERT INTO orders (order_id, user_id, status, total_cents, currency, created_at)
   SELECT o.order_id, o.user_id, o.status, o.total_cents, o.currency, clock_timestamp()
   FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::int8[], $5::varchar[]) WITH ORDINALITY
        AS o(order_id, user_id, status, total_cents, currency, ord)
   ORDER BY o.ord
   ON CONFLICT (user_id, order_id) DO NOTHING`,
  false,
);

const STATUSES: readonly OrderStatus[] = ['PENDING', 'PAID', 'SHIPPED', 'CANCELLED', 'PAID'];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'JPY'];

/** The k-th demo order of demo user i: 0..3 orders per user, deterministic, so seeding twice adds nothing. */
export function demoOrders(i: number) {
  const { userId } = demoUser(i);
  return Array.from({ length: i % 4 }, (_, k) => ({
    userId,
    // A stored key like a real one (16 bytes), derived from (i, k) instead of random.
    orderId: createHash('sha256').update(`demo-order-${i}-${k}`).digest().subarray(0, 16).toString('base64url'),
    status: STATUSES[(i + k) % STATUSES.length]!,
    totalCents: ((i * 7919 + k * 104729) % 50_000) + 99,
    currency: CURRENCIES[(i + k) % CURRENCIES.length]!,
  }));
}

/** Gives demo users 1..count their demo orders, grouped by shard (the users must exist). Returns how many were new. */
export async function seedDemoOrders(door: ShardDoor, shardCount: number, count: number, chunk = 2000): Promise<number> {
  const byShard: ReturnType<typeof demoOrders>[] = Array.from({ length: shardCount }, () => []);
  for (let i = 1; i <= count; i++) {
    for (const order of demoOrders(i)) byShard[door.shardIdOf(order.userId)]!.push(order);
  }
  const insert = (shardId: number, orders: ReturnType<typeof demoOrders>) => insertOrdersOnShard(door, shardId, orders);
  const inserted = await settleAll(
    byShard.map(async (list, shardId) => {
      let n = 0;
      for (let start = 0; start < list.length; start += chunk) n += await insert(shardId, list.slice(start, start + chunk));
      return n;
    }),
  );
  return inserted.reduce((a, b) => a + b, 0);
}

/** An order to bulk-load; a fresh stored key (16 random bytes) when none is given, PENDING unless said. */
export interface BulkOrder {
  readonly userId: string;
  readonly totalCents: number;
  readonly currency: string;
  readonly status?: OrderStatus;
  readonly orderId?: string;
}

/** Bulk insert of orders whose owners all live on `shardId` (seeding, benchmarks, tests). Returns how many were new. */
export async function insertOrdersOnShard(door: ShardDoor, shardId: number, orders: readonly BulkOrder[]): Promise<number> {
  for (const o of orders) {
    if (door.shardIdOf(o.userId) !== shardId) throw new RangeError(`user ${o.userId} does not live on shard ${shardId}`);
  }
  const { rowCount } = await door.writeOnShard(shardId, INSERT_ORDERS_BULK, [
    orders.map((o) => o.orderId ?? randomBytes(16).toString('base64url')),
    orders.map((o) => o.userId),
    orders.map((o) => o.status ?? 'PENDING'),
    orders.map((o) => o.totalCents),
    orders.map((o) => o.currency),
  ]);
  return rowCount;
}
