import type { UserRow } from '../repository/reshard-store.js';
import { settleAll } from '../util/settle-all.js';
import type { ReshardContext } from './reshard-context.js';
import { moves, ownedByOldShard, targetDatabaseOf, type ReshardPlan } from './reshard-plan.js';

/*
 * The first phase of a reshard, while gateways serve as before: the schema
 * and the layout guard everywhere, change capture on the old shards, one copy
 * of every moving user, then the captured writes until few remain.
 */

/** Schema (the migrations) on every database, the layout guard, and change capture on the old shards. Idempotent. */
export async function prepare(ctx: ReshardContext): Promise<void> {
  ctx.log('prepare: schema, layout guard and change capture');
  const { plan } = ctx;
  await ctx.eachDatabase(async (i, store) => {
    const db = plan.databases[i]!;
    await store.migrate();
    // Old shards accept their own users (what the gateways route to them now); a new database accepts nothing until the switch.
    await store.initGuard(
      db.oldShard !== null ? { state: 'active', shardCount: plan.oldCount, shardId: db.oldShard } : { state: 'paused' },
    );
    if (db.oldShard !== null) await store.startCapture();
    await store.saveJob(ctx.jobId, 'prepared', ctx.toEpoch);
  });
}

/** Copies every moving user, batch by batch, each old shard from its recorded cursor. Returns how many this run copied, and how fast. */
export async function copy(ctx: ReshardContext, total: number): Promise<{ copied: number; copyRate: number | null }> {
  const { plan } = ctx;
  const progress = ctx.progress('copy', total);
  const jobs = await ctx.eachOldShard((_, store) => store.jobs());
  const resumed = jobs.map((rows) => rows.find((j) => j.jobId === ctx.jobId));
  let done = resumed.reduce((a, j) => a + (j?.copied ?? 0), 0);
  const startedWith = done;
  const started = ctx.clock();
  progress(done, true);
  await ctx.eachOldShard(async (oldShard, source) => {
    const job = resumed[oldShard];
    if (job?.copyDone) return;
    let cursor = job?.copyCursor ?? null;
    let copied = job?.copied ?? 0;
    for (;;) {
      const rows = await source.scanUsers(cursor, ctx.batch);
      if (rows.length === 0) break;
      const byTarget = new Map<number, UserRow[]>();
      for (const row of rows) {
        if (!ownedByOldShard(plan, oldShard, row.userId) || !moves(plan, oldShard, row.userId)) continue;
        const target = targetDatabaseOf(plan, row.userId);
        const list = byTarget.get(target);
        if (list) list.push(row);
        else byTarget.set(target, [row]);
      }
      // The group: each moving user with its email claim markers and module rows, orders included (a write between the reads is captured and copied again).
      const movingIds = [...byTarget.values()].flat().map((u) => u.userId);
      const claims = groupByTarget(plan, await source.emailClaimsOfUsers(movingIds));
      const owned = groupByTarget(plan, await source.ownedRowsOfUsers(movingIds));
      await settleAll(
        [...byTarget].map(([target, list]) => ctx.stores[target]!.applyUsers(list, [], claims.get(target) ?? [], owned.get(target) ?? [])),
      );
      const n = [...byTarget.values()].reduce((a, l) => a + l.length, 0);
      cursor = rows[rows.length - 1]!.userId;
      copied += n;
      done += n;
      await source.saveCopyProgress(ctx.jobId, cursor, copied, false);
      progress(done);
    }
    await source.saveCopyProgress(ctx.jobId, cursor, copied, true);
  });
  progress(done, true);
  const copiedNow = done - startedWith;
  const seconds = (ctx.clock() - started) / 1000;
  return { copied: copiedNow, copyRate: seconds > 0 ? Math.round(copiedNow / seconds) : null };
}

/** Applies the captured changes until at most `threshold` remain. */
export async function catchUp(ctx: ReshardContext, threshold: number): Promise<void> {
  for (let round = 1; ; round++) {
    const applied = await applyChanges(ctx);
    const backlog = (await ctx.eachOldShard((_, store) => store.backlog())).reduce((a, b) => a + b, 0);
    ctx.log(`catch-up: round ${round}: ${applied} change(s) applied, ${backlog} waiting`);
    if (backlog <= threshold) return;
  }
}

/** One pass over every old shard's captured changes; returns how many were applied. */
export async function applyChanges(ctx: ReshardContext): Promise<number> {
  const { plan } = ctx;
  const applied = await ctx.eachOldShard(async (oldShard, source) => {
    let n = 0;
    for (;;) {
      const changes = await source.changes(ctx.batch);
      if (changes.length === 0) return n;
      const ids = [...new Set(changes.map((c) => c.userId))].filter(
        (id) => ownedByOldShard(plan, oldShard, id) && moves(plan, oldShard, id),
      );
      // The user's state now, not the operation: the change is applied whatever happened in between.
      const current = new Map((await source.usersByIds(ids)).map((u) => [u.userId, u]));
      const byTarget = new Map<number, { rows: UserRow[]; deletes: string[] }>();
      for (const id of ids) {
        const target = targetDatabaseOf(plan, id);
        let entry = byTarget.get(target);
        if (!entry) byTarget.set(target, (entry = { rows: [], deletes: [] }));
        const row = current.get(id);
        if (row) entry.rows.push(row);
        else entry.deletes.push(id);
      }
      // Markers of a user deleted meanwhile move too: they tell a claimant its lookup row is stale without waiting for a lease.
      const claims = groupByTarget(plan, await source.emailClaimsOfUsers(ids));
      const owned = groupByTarget(plan, await source.ownedRowsOfUsers([...current.keys()]));
      await settleAll(
        [...byTarget].map(([target, e]) =>
          ctx.stores[target]!.applyUsers(e.rows, e.deletes, claims.get(target) ?? [], owned.get(target) ?? []),
        ),
      );
      await source.forgetChanges(changes.map((c) => c.seq));
      n += changes.length;
      if (changes.length < ctx.batch) return n;
    }
  });
  return applied.reduce((a, b) => a + b, 0);
}

/** A group's rows (email claim markers, module rows) by the new database of their owner. */
function groupByTarget<R extends { readonly userId: string }>(plan: ReshardPlan, rows: readonly R[]): Map<number, R[]> {
  const byTarget = new Map<number, R[]>();
  for (const row of rows) {
    const target = targetDatabaseOf(plan, row.userId);
    const list = byTarget.get(target);
    if (list) list.push(row);
    else byTarget.set(target, [row]);
  }
  return byTarget;
}
