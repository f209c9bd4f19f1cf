import { createHash } from 'node:crypto';
import type { OrderStatus } from '../repository/orders/order.js';
import type { OrderRepository } from '../repository/orders/order-repository.js';
import { demoUser } from './seed-demo-users.js';

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
export async function seedDemoOrders(orders: OrderRepository, shardCount: number, count: number, chunk = 2000): Promise<number> {
  const byShard: ReturnType<typeof demoOrders>[] = Array.from({ length: shardCount }, () => []);
  for (let i = 1; i <= count; i++) {
    for (const order of demoOrders(i)) byShard[orders.shardIdOf(order.userId)]!.push(order);
  }
  const inserted = await Promise.all(
    byShard.map(async (list, shardId) => {
      let n = 0;
      for (let start = 0; start < list.length; start += chunk)
        n += await orders.insertManyOnShard(shardId, list.slice(start, start + chunk));
      return n;
    }),
  );
  return inserted.reduce((a, b) => a + b, 0);
}
