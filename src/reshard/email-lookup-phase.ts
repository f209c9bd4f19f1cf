import type { EmailReshardStore, LookupKey, LookupRow } from '../repository/email-reshard-store.js';
import { shardIdFor } from '../sharding/shard-id-for.js';
import { settleAll } from '../util/settle-all.js';
import type { ReshardContext } from './reshard-context.js';
import { belongsAfter, moves, newShardOf, ownedByOldShard, targetDatabaseOf } from './reshard-plan.js';
import { compareShard, type ShardComparison } from './user-checksum.js';

/*
 * The email lookup's part of a reshard. A lookup row lives on the shard of
 * fnv1a32(its email), whatever its user's shard, so it moves by that hash:
 * - copy: every row that changes database is copied while gateways serve
 *   (an optimisation: the cutover makes the new shards exact anyway);
 * - cutover, inside the write pause (the layout guard on user_emails holds
 *   the gateways' claims too): every new shard's rows are compared with
 *   those its emails have on the old shards, the differences applied, and
 *   the result verified by count and checksum like the users;
 * - cleanup: rows go from the databases they no longer belong to.
 */

/** The rows of one old shard's own emails, in batches, to where they belong after the switch. */
export async function copyLookup(ctx: ReshardContext, stores: readonly EmailReshardStore[]): Promise<number> {
  const { plan } = ctx;
  const copied = await ctx.eachOldShard(async (oldShard) => {
    const source = stores[plan.oldDatabase[oldShard]!]!;
    let after: LookupKey | null = null;
    let n = 0;
    for (;;) {
      const rows = await source.scan(after, ctx.batch);
      if (rows.length === 0) return n;
      const byTarget = new Map<number, LookupRow[]>();
      for (const row of rows) {
        if (!ownedByOldShard(plan, oldShard, row.email) || !moves(plan, oldShard, row.email)) continue;
        const target = targetDatabaseOf(plan, row.email);
        byTarget.set(target, [...(byTarget.get(target) ?? []), row]);
      }
      await settleAll([...byTarget].map(([target, list]) => stores[target]!.upsert(list)));
      n += [...byTarget.values()].reduce((a, l) => a + l.length, 0);
      after = rows[rows.length - 1]!;
    }
  });
  const total = copied.reduce((a, b) => a + b, 0);
  ctx.log(`copy: ${total} email lookup row(s) copied to their new shards`);
  return total;
}

const key = (k: LookupKey) => `${k.email}\u0000${k.userId}`;
const unkey = (s: string): LookupKey => {
  const at = s.indexOf('\u0000');
  return { email: s.slice(0, at), userId: s.slice(at + 1) };
};

/** Per new shard: (email, user) → digest, as the old shards have them (expected) and as the new shard has them (actual). */
async function sides(ctx: ReshardContext, stores: readonly EmailReshardStore[]) {
  const { plan } = ctx;
  const expected = plan.newDatabase.map(() => new Map<string, string>());
  const actual = plan.newDatabase.map(() => new Map<string, string>());
  const digests = await settleAll(stores.map((s) => s.digests()));
  plan.databases.forEach((db, i) => {
    for (const d of digests[i]!) {
      const j = newShardOf(plan, d.email);
      if (db.oldShard !== null && ownedByOldShard(plan, db.oldShard, d.email)) expected[j]!.set(key(d), d.digest);
      if (db.newShard !== null && j === db.newShard) actual[j]!.set(key(d), d.digest);
    }
  });
  return { expected, actual };
}

/**
 * Inside the write pause: makes every new shard's lookup rows exactly those
 * of its emails on the old shards, then verifies them by count and checksum.
 * Returns one comparison per new shard (all equal unless something wrote
 * around the pause).
 */
export async function syncAndVerifyLookup(ctx: ReshardContext, stores: readonly EmailReshardStore[]): Promise<ShardComparison[]> {
  const { plan } = ctx;
  const before = await sides(ctx, stores);
  let applied = 0;
  await settleAll(
    plan.newDatabase.map(async (target, j) => {
      const c = compareShard(j, before.expected[j]!, before.actual[j]!);
      if (c.equal) return;
      const extra = c.differences.filter((d) => d.kind !== 'missing').map((d) => unkey(d.userId));
      const wanted = c.differences.filter((d) => d.kind !== 'extra').map((d) => unkey(d.userId));
      await stores[target]!.delete(extra);
      const byOwner = new Map<number, LookupKey[]>();
      for (const k of wanted) {
        const owner = plan.oldDatabase[shardIdFor(k.email, plan.oldCount)]!;
        byOwner.set(owner, [...(byOwner.get(owner) ?? []), k]);
      }
      for (const [owner, keys] of byOwner) await stores[target]!.upsert(await stores[owner]!.rows(keys));
      applied += extra.length + wanted.length;
    }),
  );
  const after = await sides(ctx, stores);
  const comparisons = plan.newDatabase.map((_, j) => compareShard(j, after.expected[j]!, after.actual[j]!));
  for (const c of comparisons) {
    ctx.log(
      `verify: new shard ${c.shardId}: ${c.actual.count} email lookup rows, checksum ${c.actual.sum}` +
        (c.equal ? ' = old' : `; expected ${c.expected.count} rows, checksum ${c.expected.sum}: MISMATCH`),
    );
  }
  ctx.log(`cutover: ${applied} email lookup row(s) brought up to date`);
  return comparisons;
}

/** After the switch: every lookup row deleted from the databases it no longer belongs to. */
export async function cleanupLookup(ctx: ReshardContext, stores: readonly EmailReshardStore[]): Promise<number> {
  const deleted = await ctx.eachDatabase(async (i) => {
    const store = stores[i]!;
    let after: LookupKey | null = null;
    let n = 0;
    for (;;) {
      const rows = await store.scan(after, ctx.batch);
      if (rows.length === 0) return n;
      n += await store.delete(rows.filter((r) => !belongsAfter(ctx.plan, i, r.email)));
      after = rows[rows.length - 1]!;
    }
  });
  const total = deleted.reduce((a, b) => a + b, 0);
  ctx.log(`cleanup: ${total} email lookup row(s) deleted from the shards they left`);
  return total;
}
