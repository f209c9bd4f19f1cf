import type { Shards } from '../repository/open-shards.js';
import { SqlError } from '../repository/errors.js';
import type { EmailReshardStore } from '../repository/email-reshard-store.js';
import type { GuardState, ReshardStore } from '../repository/reshard-store.js';
import { ReplayWatch } from '../sharding/replay-watch.js';
import { shardIdFor } from '../sharding/shard-id-for.js';
import { settleAll } from '../util/settle-all.js';
import { applyChanges } from './copy-phase.js';
import { syncAndVerifyLookup } from './email-lookup-phase.js';
import type { ReshardContext } from './reshard-context.js';
import { ReshardError } from './reshard-error.js';
import { phaseAfter } from './reshard-phase.js';
import { ownedByOldShard } from './reshard-plan.js';
import { ChecksumSum, compareShard, type ShardComparison } from './user-checksum.js';

/*
 * The second phase: writes to the old shards paused, the last changes
 * applied, every new shard verified against the old ones, the new layout
 * recorded everywhere (gateways adopt it). A difference aborts: the old
 * shards take writes again, as before.
 */

const LOCK_NOT_AVAILABLE = '55P03';
const PAUSE_ATTEMPTS = 5;
const REPLICA_WAIT_MS = 10_000;
const SHOWN_DIFFERENCES = 20;

export interface CutoverOptions {
  /** How long pausing an old shard waits for the writes in flight there. */
  readonly lockTimeoutMs: number;
  /** The new layout's shards: their replicas must have the last changes before gateways read them. */
  readonly newShards: Shards;
  /** The new layout as recorded for the gateways. */
  readonly recordedTo: unknown;
  /** The email lookup's side of every database (indexed like the plan's databases): synced and verified inside the pause. */
  readonly emailLookup?: readonly EmailReshardStore[];
}

export interface CutoverResult {
  /** Null when the pause had happened in an earlier run (this one only finished recording the layout). */
  readonly writePauseMs: number | null;
  readonly verifyMs: number | null;
}

export async function cutover(ctx: ReshardContext, options: CutoverOptions): Promise<CutoverResult> {
  const recorded = (await ctx.eachDatabase((_, s) => s.latestLayout())).some((l) => l !== null && l.epoch >= ctx.toEpoch);
  if (recorded) {
    ctx.log(`cutover: the new layout (epoch ${ctx.toEpoch}) is already recorded on some databases; recording it on the rest`);
    await recordEverywhere(ctx, options.recordedTo);
    return { writePauseMs: null, verifyMs: null };
  }
  await ctx.savePhase('paused');
  ctx.log('cutover: pausing writes on the old shards (gateways hold and retry them)');
  // Counted from the first refusal on: a shard refuses writes from its own pause on.
  const pausedAt = ctx.clock();
  await ctx.eachOldShard((_, store) => pauseWrites(ctx, store, options.lockTimeoutMs));
  // Nothing can be added now (the pause waited for the writes in flight): one pass to the end of each log drains it.
  const applied = await applyChanges(ctx);
  const drainedAt = ctx.clock();
  const comparisons = await verify(ctx);
  const verifyMs = ctx.clock() - drainedAt;
  for (const c of comparisons) {
    ctx.log(
      `verify: new shard ${c.shardId}: ${c.actual.count} ${c.table}, checksum ${c.actual.sum}` +
        (c.equal ? ' = old' : `; expected ${c.expected.count} ${c.table}, checksum ${c.expected.sum}: MISMATCH`),
    );
  }
  const failed = comparisons.filter((c) => !c.equal);
  if (failed.length > 0) await abort(ctx, failed);
  // Gateways' email claims are paused too (the guard on user_emails): the new shards get exactly the old shards' rows.
  const lookup = options.emailLookup ? await syncAndVerifyLookup(ctx, options.emailLookup) : [];
  if (lookup.some((c) => !c.equal)) await abortLookup(ctx);
  const replicasFrom = ctx.clock();
  await waitForNewReplicas(ctx, options.newShards);
  ctx.log(
    `cutover: paused and ${applied} last change(s) applied in ${drainedAt - pausedAt} ms, verified in ${verifyMs} ms, ` +
      `new replicas caught up in ${ctx.clock() - replicasFrom} ms`,
  );
  await recordEverywhere(ctx, options.recordedTo);
  const writePauseMs = ctx.clock() - pausedAt;
  ctx.log(`cutover: new layout recorded (epoch ${ctx.toEpoch}); writes were paused for ${writePauseMs} ms`);
  return { writePauseMs, verifyMs };
}

async function pauseWrites(ctx: ReshardContext, store: ReshardStore, lockTimeoutMs: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.pauseWrites(lockTimeoutMs);
    } catch (err) {
      if (!(err instanceof SqlError && err.sqlState === LOCK_NOT_AVAILABLE) || attempt >= PAUSE_ATTEMPTS) throw err;
      ctx.log(`cutover: writes in flight did not finish in time; trying again (${attempt}/${PAUSE_ATTEMPTS})`);
    }
  }
}

/**
 * Row count and checksum per new shard and co-located table (users,
 * email claim markers with `users.email_claim`, every module table,
 * orders included), against the same users' rows on the old shards. Checksums first (one pass, nothing kept per user); only a shard
 * that differs is compared user by user, to name the differences.
 */
export async function verify(ctx: ReshardContext): Promise<(ShardComparison & { table: string })[]> {
  const moduleTables = ctx.stores[0]?.moduleTables ?? [];
  const [users, claims, ...owned] = await settleAll([
    verifyTable(ctx, () => ctx.eachDatabase((_, s) => s.digests())),
    // One digest per user over its row's email claim and its claim markers; the counts are of markers.
    verifyTable(ctx, () => ctx.eachDatabase((_, s) => s.emailClaimDigests())),
    // Each module's co-located table (orders too): one digest per user over its rows; the counts are of rows.
    ...moduleTables.map((t) => verifyTable(ctx, () => ctx.eachDatabase((_, s) => s.ownedDigests(t.table)))),
  ]);
  return [
    ...users!.map((c) => ({ ...c, table: 'users' })),
    ...claims!.map((c) => ({ ...c, table: 'email claim markers' })),
    ...owned.flatMap((comparisons, i) => comparisons.map((c) => ({ ...c, table: moduleTables[i]!.table }))),
  ];
}

/** One co-located table: per new shard, its rows' count and checksum against the same users' rows on the old shards. */
async function verifyTable(
  ctx: ReshardContext,
  read: () => Promise<{ userId: string; digest: string; rows?: number }[][]>,
): Promise<ShardComparison[]> {
  const { plan } = ctx;
  const expected = plan.newDatabase.map(() => new ChecksumSum());
  const actual = plan.newDatabase.map(() => new ChecksumSum());
  const digests = await read();
  const sides = (visit: (side: 'expected' | 'actual', newShard: number, userId: string, digest: string, rows: number) => void) =>
    plan.databases.forEach((db, i) => {
      for (const { userId, digest, rows } of digests[i]!) {
        const newShard = shardIdFor(userId, plan.newCount);
        if (db.oldShard !== null && ownedByOldShard(plan, db.oldShard, userId)) visit('expected', newShard, userId, digest, rows ?? 1);
        if (db.newShard !== null && newShard === db.newShard) visit('actual', newShard, userId, digest, rows ?? 1);
      }
    });
  sides((side, j, _, digest, rows) => (side === 'expected' ? expected : actual)[j]!.add(digest, rows));
  const comparisons = plan.newDatabase.map((_, j): ShardComparison => {
    const e = expected[j]!.result();
    const a = actual[j]!.result();
    return { shardId: j, expected: e, actual: a, equal: e.count === a.count && e.sum === a.sum, differences: [] };
  });
  const failed = new Set(comparisons.filter((c) => !c.equal).map((c) => c.shardId));
  if (failed.size === 0) return comparisons;
  const maps = plan.newDatabase.map(() => ({ expected: new Map<string, string>(), actual: new Map<string, string>() }));
  sides((side, j, userId, digest) => {
    if (failed.has(j)) maps[j]![side].set(userId, digest);
  });
  return comparisons.map((c) => (c.equal ? c : compareShard(c.shardId, maps[c.shardId]!.expected, maps[c.shardId]!.actual)));
}

/** The lookup still differs after it was synced inside the pause: something wrote around the guard. Nothing switches. */
async function abortLookup(ctx: ReshardContext): Promise<never> {
  const { plan } = ctx;
  await ctx.eachOldShard((oldShard, store) => store.setGuard({ state: 'active', shardCount: plan.oldCount, shardId: oldShard }));
  await ctx.savePhase(phaseAfter('cutover', 'aborted'));
  throw new ReshardError(
    'cutover aborted: the email lookup differs between the old and the new shards after it was synced; the old layout serves as before ' +
      '(writes resumed). Run the same command to retry.',
  );
}

async function abort(ctx: ReshardContext, failed: readonly ShardComparison[]): Promise<never> {
  const { plan } = ctx;
  // A user differs once, however many of its group's tables (users, orders, claim markers) show it.
  const seen = new Set<string>();
  const differences = failed
    .flatMap((c) => c.differences.map((d) => ({ ...d, shardId: c.shardId })))
    .filter((d) => {
      const key = `${d.shardId} ${d.userId}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  for (const d of differences.slice(0, SHOWN_DIFFERENCES)) {
    const what =
      d.kind === 'missing' ? 'missing on the new shard' : d.kind === 'extra' ? 'on the new shard but not on the old ones' : 'differs';
    ctx.log(`verify: new shard ${d.shardId}: user ${JSON.stringify(d.userId)} ${what}`);
  }
  if (differences.length > SHOWN_DIFFERENCES) ctx.log(`verify: ... and ${differences.length - SHOWN_DIFFERENCES} more`);
  // Copied again by the next run's catch-up, from the old shards' current state.
  const byOwner = new Map<number, string[]>();
  for (const d of differences) {
    const owner = shardIdFor(d.userId, plan.oldCount);
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), d.userId]);
  }
  await settleAll([...byOwner].map(([owner, ids]) => ctx.oldStore(owner).queueChanges(ids)));
  await ctx.eachOldShard((oldShard, store) => store.setGuard({ state: 'active', shardCount: plan.oldCount, shardId: oldShard }));
  await ctx.savePhase(phaseAfter('cutover', 'aborted'));
  throw new ReshardError(
    `cutover aborted: ${differences.length} user(s) differ between the old and the new shards; the old layout serves as before ` +
      '(writes resumed). The differing users are queued to be copied again: run the same command to retry.',
  );
}

/**
 * EVENTUAL reads go to the new shards' replicas as soon as a gateway
 * switches: they must have the last changes. A replica counts as caught up
 * once it replays the primary's position on the primary's history (system
 * and timeline), as for consistency tokens: a replica left on an old
 * timeline never does.
 */
async function waitForNewReplicas(ctx: ReshardContext, shards: Shards): Promise<void> {
  const { db, manager } = shards;
  const watch = new ReplayWatch(db.positions, (node, timeoutMs) => db.replayPosition(node, timeoutMs), { intervalMs: 20 });
  const deadline = ctx.clock() + REPLICA_WAIT_MS;
  await settleAll(
    manager.allShards().map(async (shard) => {
      const primary = manager.writeTarget(shard.id)?.node;
      if (!primary || shard.replicas.length === 0) return;
      // The probe records the primary's position (system, timeline, WAL position) in db.positions.
      await db.probe(primary, 2000);
      const wanted = db.positions.of(primary);
      if (!wanted) return;
      await settleAll(
        shard.nodes
          .filter((n) => n.key !== primary.key)
          .map(async (replica) => {
            const caughtUp = await watch.waitFor([replica], wanted, Math.max(0, deadline - ctx.clock()));
            if (!caughtUp) {
              ctx.log(`cutover: replica ${replica.address} of new shard ${shard.id} has not replayed the last changes; switching anyway`);
            }
          }),
      );
    }),
  );
}

/**
 * Records the new layout on every database: new databases first, then the
 * old shards that stay, then the ones that leave. Each database switches in
 * one transaction (guard and layout).
 */
async function recordEverywhere(ctx: ReshardContext, recordedTo: unknown): Promise<void> {
  const { plan } = ctx;
  const rank = (i: number) => {
    const db = plan.databases[i]!;
    return db.oldShard === null ? 0 : db.newShard !== null ? 1 : 2;
  };
  const order = plan.databases.map((_, i) => i).sort((a, b) => rank(a) - rank(b));
  for (const i of order) {
    const db = plan.databases[i]!;
    const guard: GuardState =
      db.newShard !== null ? { state: 'active', shardCount: plan.newCount, shardId: db.newShard } : { state: 'retired' };
    await ctx.stores[i]!.recordLayout(ctx.toEpoch, recordedTo, guard);
  }
}
