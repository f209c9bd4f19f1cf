import type { NewUser } from '../repository/user.js';
import type { UserRepository } from '../repository/user-repository.js';
import { Scatter } from '../sharding/scatter.js';
import { routeAll } from '../sharding/shard-route.js';

const FIRST = [
  'Ada',
  'Alan',
  'Barbara',
  'Donald',
  'Edsger',
  'Frances',
  'Grace',
  'John',
  'Katherine',
  'Leslie',
  'Margaret',
  'Niklaus',
  'Radia',
  'Tony',
  'Whitfield',
  'Yukihiro',
];
const LAST = [
  'Lovelace',
  'Turing',
  'Liskov',
  'Knuth',
  'Dijkstra',
  'Allen',
  'Hopper',
  'McCarthy',
  'Johnson',
  'Lamport',
  'Hamilton',
  'Wirth',
  'Perlman',
  'Hoare',
  'Diffie',
  'Matsumoto',
];

/** The i-th demo user (1-based): deterministic, so seeding twice adds nothing. */
export function demoUser(i: number): NewUser {
  const first = FIRST[i % FIRST.length]!;
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
  return { userId: `user-${i}`, name: `${first} ${last}`, email: `${first}.${last}.${i}@example.com`.toLowerCase() };
}

/**
 * Inserts demo users 1..count, grouped by shard, one bulk statement per
 * chunk. Existing ids are skipped. Returns how many were new on each shard.
 */
export async function seedDemoUsers(users: UserRepository, shardCount: number, count: number, chunk = 1000): Promise<number[]> {
  const byShard: NewUser[][] = Array.from({ length: shardCount }, () => []);
  for (let i = 1; i <= count; i++) {
    const user = demoUser(i);
    byShard[users.shardIdOf(user.userId)]!.push(user);
  }
  return new Scatter().all(routeAll(shardCount), async (shardId) => {
    const list = byShard[shardId]!;
    let inserted = 0;
    for (let start = 0; start < list.length; start += chunk) {
      inserted += await users.insertManyOnShard(shardId, list.slice(start, start + chunk));
    }
    return inserted;
  });
}
