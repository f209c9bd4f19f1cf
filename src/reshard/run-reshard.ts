import { createHash } from 'node:crypto';
import type { GatewayOptions } from '../config/gateway-options.js';
import { sameNodes, topologyFromRecord } from '../config/recorded-topology.js';
import type { Topology } from '../config/topology.js';
import { SqlError } from '../repository/errors.js';
import { RESHARD_APPLICATION_NAME } from '../repository/reshard-statements.js';
import { ReshardStore, type GuardState, type JobRow, type OrderRow, type UserRow } from '../repository/reshard-store.js';
import { openShards, type Shards } from '../server/open-shards.js';
import { parseLsn } from '../sharding/replica-lag.js';
import { shardIdFor } from '../sharding/shard-id-for.js';
import { formatProgress, formatSeconds } from './format-progress.js';
import { ReshardError } from './reshard-error.js';
import { mostAdvanced, phaseAfter, stepsFrom, type Phase, type Step } from './reshard-phase.js';
import {
  belongsAfter,
  buildReshardPlan,
  countMoves,
  describePlan,
  emptyMoveCounts,
  moves,
  ownedByOldShard,
  targetDatabaseOf,
  type MoveCounts,
  type ReshardPlan,
} from './reshard-plan.js';
import { ChecksumSum, compareShard, type ShardComparison } from './user-checksum.js';

export interface ReshardOptions {
  readonly from: Topology;
  readonly to: Topology;
  /** The new layout as it is recorded for the gateways (the --to document without passwords). */
  readonly recordedTo: unknown;
  /** Print the plan and change nothing. */
  readonly dryRun: boolean;
  /** Pools and timeouts for the tool's own connections. */
  readonly gatewayOptions: GatewayOptions;
  readonly log: (line: string) => void;
  /** Users per statement (copy, catch-up, cleanup). @default 1000 */
  readonly batchSize?: number;
  /** Progress lines at most this often. @default 1000 */
  readonly progressIntervalMs?: number;
  /** The cutover starts once at most this many captured changes wait. @default 200 */
  readonly catchUpThreshold?: number;
  /** Between the switch and the cleanup, so that every gateway adopts the new layout first. @default 5000 */
  readonly cleanupDelayMs?: number;
  /** How long pausing an old shard waits for the writes in flight there. @default 5000 */
  readonly lockTimeoutMs?: number;
  /** @default Date.now */
  readonly clock?: () => number;
  /** For tests: runs inside the write pause, just before the verification. */
  readonly beforeVerify?: () => Promise<void>;
}

export interface ReshardResult {
  readonly outcome: 'planned' | 'done' | 'already-done';
  readonly epoch: number;
  readonly totalMs: number;
  /** Users copied by the copy step of this run, and at what rate. */
  readonly copied: number;
  readonly copyRate: number | null;
  /** How long gateway writes were refused (retried by the gateways) at the cutover of this run; null when no cutover ran. */
  readonly writePauseMs: number | null;
  readonly verifyMs: number | null;
}

const LOCK_NOT_AVAILABLE = '55P03';
const PAUSE_ATTEMPTS = 5;
const REPLICA_WAIT_MS = 10_000;
const SHOWN_DIFFERENCES = 20;

/** Orders grouped by the new database of their owner. */
function groupByTarget(plan: ReshardPlan, orders: readonly OrderRow[]): Map<number, OrderRow[]> {
  const byTarget = new Map<number, OrderRow[]>();
  for (const order of orders) {
    const target = targetDatabaseOf(plan, order.userId);
    const list = byTarget.get(target);
    if (list) list.push(order);
    else byTarget.set(target, [order]);
  }
  return byTarget;
}

/**
 * `shardgate reshard`: moves every user to shard fnv1a32(userId) % M of the
 * new layout while gateways keep serving. Each step is recorded when done
 * (see reshard-phase.ts), so running it again after a crash or Ctrl-C
 * continues where it stopped.
 */
export async function runReshard(options: ReshardOptions): Promise<ReshardResult> {
  const run = new ReshardRun(options);
  try {
    return await run.execute();
  } finally {
    await run.close();
  }
}

class ReshardRun {
  private readonly plan: ReshardPlan;
  private readonly clock: () => number;
  private readonly batch: number;
  private readonly log: (line: string) => void;
  private readonly jobId: string;
  private readonly startedAt: number;
  private oldShards: Shards | null = null;
  private newShards: Shards | null = null;
  private stores: ReshardStore[] = [];
  private toEpoch = 0;
  private copied = 0;
  private copyRate: number | null = null;
  private writePauseMs: number | null = null;
  private verifyMs: number | null = null;

  constructor(private readonly options: ReshardOptions) {
    this.plan = buildReshardPlan(options.from, options.to);
    this.clock = options.clock ?? Date.now;
    this.batch = options.batchSize ?? 1000;
    this.log = options.log;
    this.startedAt = this.clock();
    this.jobId = createHash('sha256')
      .update(
        JSON.stringify({
          from: this.plan.oldDatabase.map((i) => this.plan.databases[i]!.key),
          to: this.plan.newDatabase.map((i) => this.plan.databases[i]!.key),
        }),
      )
      .digest('hex')
      .slice(0, 16);
  }

  async execute(): Promise<ReshardResult> {
    await this.connect();
    const state = await this.readState();
    const latest = state.latestLayout;
    let phase = state.phase;

    if (phase === null) {
      const busy = state.otherJobs.find((j) => j.phase !== 'done');
      if (busy) throw new ReshardError(`another reshard (job ${busy.jobId}, phase ${busy.phase}) is not finished; run it to the end first`);
      if (latest && this.isNewLayout(latest.topology)) {
        this.log(`nothing to do: the recorded layout (epoch ${latest.epoch}) is already --to`);
        return this.result('already-done', latest.epoch);
      }
      if (latest && !this.isOldLayout(latest.topology)) {
        throw new ReshardError(
          `the layout the gateways use (epoch ${latest.epoch}, recorded in the databases) is not --from; pass the current layout as --from`,
        );
      }
      this.toEpoch = (latest?.epoch ?? 0) + 1;
    } else if (phase === 'done') {
      this.log(`nothing to do: this reshard finished (layout epoch ${state.toEpoch})`);
      return this.result('already-done', state.toEpoch);
    } else {
      this.toEpoch = state.toEpoch;
      this.log(`resuming job ${this.jobId} at phase "${phase}" (new layout epoch ${this.toEpoch})`);
    }

    const counts = await this.countUsers(phase === null);
    for (const line of describePlan(this.plan, counts)) this.log(line);
    if (phase === null) {
      const misplaced = counts.misplaced.reduce((a, b) => a + b, 0);
      if (misplaced > 0) {
        const where = counts.misplaced
          .map((n, i) => (n > 0 ? `old shard ${i}: ${n}` : null))
          .filter(Boolean)
          .join(', ');
        throw new ReshardError(`${misplaced} user(s) are not on their shard of --from (${where}): is --from the layout the gateways use?`);
      }
    }
    if (this.options.dryRun) {
      this.log(phase === null ? 'dry run: nothing was changed' : `dry run: nothing was changed (job at phase "${phase}")`);
      return this.result('planned', this.toEpoch);
    }

    for (const step of stepsFrom(phase)) {
      await this.runStep(step, counts);
      phase = phaseAfter(step);
      await this.savePhase(phase);
    }
    const total = this.clock() - this.startedAt;
    this.log(
      `done: ${this.plan.newCount} shards (layout epoch ${this.toEpoch}) in ${formatSeconds(total / 1000)}` +
        (this.writePauseMs !== null ? `; writes paused ${this.writePauseMs} ms at the cutover` : ''),
    );
    return this.result('done', this.toEpoch);
  }

  async close(): Promise<void> {
    await Promise.all([this.oldShards?.close(), this.newShards?.close()]);
  }

  private result(outcome: ReshardResult['outcome'], epoch: number): ReshardResult {
    return {
      outcome,
      epoch,
      totalMs: this.clock() - this.startedAt,
      copied: this.copied,
      copyRate: this.copyRate,
      writePauseMs: this.writePauseMs,
      verifyMs: this.verifyMs,
    };
  }

  private async connect(): Promise<void> {
    // The layout guard lets the tool's connections through by their application_name.
    const base = this.options.gatewayOptions;
    const options = { ...base, pool: { ...base.pool, applicationName: RESHARD_APPLICATION_NAME } };
    this.oldShards = openShards(this.options.from, options);
    this.newShards = openShards(this.options.to, options);
    // One probe round, so that statements go to the primaries as observed, not as the files say.
    await Promise.all([this.oldShards.health.checkOnce(), this.newShards.health.checkOnce()]);
    this.stores = this.plan.databases.map((db) =>
      db.oldShard !== null ? new ReshardStore(this.oldShards!.db, db.oldShard) : new ReshardStore(this.newShards!.db, db.newShard!),
    );
  }

  private async readState(): Promise<{
    phase: Phase | null;
    toEpoch: number;
    otherJobs: JobRow[];
    latestLayout: { epoch: number; topology: unknown } | null;
  }> {
    const exists = await Promise.all(this.stores.map((s) => s.objectsExist()));
    const jobs = await Promise.all(this.stores.map((s, i) => (exists[i]!.job ? s.jobs() : Promise.resolve([]))));
    const layouts = await Promise.all(this.stores.map((s, i) => (exists[i]!.layout ? s.latestLayout() : Promise.resolve(null))));
    const ours = jobs.map((rows) => rows.find((j) => j.jobId === this.jobId) ?? null);
    const phase = mostAdvanced(ours.filter((j): j is JobRow => j !== null).map((j) => j.phase));
    const toEpoch = Math.max(0, ...ours.map((j) => j?.toEpoch ?? 0));
    const otherJobs = jobs.flat().filter((j) => j.jobId !== this.jobId);
    let latestLayout: { epoch: number; topology: unknown } | null = null;
    for (const layout of layouts) if (layout && (!latestLayout || layout.epoch > latestLayout.epoch)) latestLayout = layout;
    return { phase, toEpoch, otherJobs, latestLayout };
  }

  private isNewLayout(recorded: unknown): boolean {
    return this.matches(recorded, this.options.to);
  }

  private isOldLayout(recorded: unknown): boolean {
    return this.matches(recorded, this.options.from);
  }

  private matches(recorded: unknown, topology: Topology): boolean {
    try {
      return sameNodes(topologyFromRecord(recorded, topology), topology);
    } catch {
      return false;
    }
  }

  /** Reads every old shard's user ids (only those it owns count: a database may also hold copies made for the new layout). */
  private async countUsers(fresh: boolean): Promise<MoveCounts> {
    const counts = emptyMoveCounts(this.plan);
    await Promise.all(
      this.plan.oldDatabase.map(async (db, oldShard) => {
        const store = this.stores[db]!;
        let cursor: string | null = null;
        for (;;) {
          const ids = await store.scanUserIds(cursor, Math.max(this.batch, 5000));
          if (ids.length === 0) break;
          countMoves(this.plan, counts, oldShard, ids);
          cursor = ids[ids.length - 1]!;
        }
      }),
    );
    // Resumed: copies made for the new layout are not misplaced users.
    if (!fresh) counts.misplaced.fill(0);
    return counts;
  }

  private async savePhase(phase: Phase): Promise<void> {
    await Promise.all(this.stores.map((s) => s.saveJob(this.jobId, phase, this.toEpoch)));
  }

  private async runStep(step: Step, counts: MoveCounts): Promise<void> {
    switch (step) {
      case 'prepare':
        return this.prepare();
      case 'copy':
        return this.copy(counts.moving);
      case 'catch-up':
        return this.catchUp();
      case 'cutover':
        return this.cutover();
      case 'cleanup':
        return this.cleanup();
    }
  }

  /** Schema on every database, the layout guard, and change capture on the old shards. Idempotent. */
  private async prepare(): Promise<void> {
    this.log('prepare: schema, layout guard and change capture');
    await Promise.all(
      this.plan.databases.map(async (db, i) => {
        const store = this.stores[i]!;
        await store.installLayoutObjects();
        // Old shards accept their own users (what the gateways route to them now); a new database accepts nothing until the switch.
        await store.initGuard(
          db.oldShard !== null ? { state: 'active', shardCount: this.plan.oldCount, shardId: db.oldShard } : { state: 'paused' },
        );
        if (db.oldShard !== null) await store.installChangeCapture();
        await store.saveJob(this.jobId, 'prepared', this.toEpoch);
      }),
    );
  }

  /** Copies every moving user, batch by batch, each old shard from its recorded cursor. */
  private async copy(total: number): Promise<void> {
    const progress = this.progress('copy', total);
    const jobs = await Promise.all(this.plan.oldDatabase.map((db) => this.stores[db]!.jobs()));
    const resumed = jobs.map((rows) => rows.find((j) => j.jobId === this.jobId));
    let done = resumed.reduce((a, j) => a + (j?.copied ?? 0), 0);
    const startedWith = done;
    const started = this.clock();
    progress(done, true);
    await Promise.all(
      this.plan.oldDatabase.map(async (db, oldShard) => {
        const source = this.stores[db]!;
        const job = resumed[oldShard];
        if (job?.copyDone) return;
        let cursor = job?.copyCursor ?? null;
        let copied = job?.copied ?? 0;
        for (;;) {
          const rows = await source.scanUsers(cursor, this.batch);
          if (rows.length === 0) break;
          const byTarget = new Map<number, UserRow[]>();
          for (const row of rows) {
            if (!ownedByOldShard(this.plan, oldShard, row.userId) || !moves(this.plan, oldShard, row.userId)) continue;
            const target = targetDatabaseOf(this.plan, row.userId);
            const list = byTarget.get(target);
            if (list) list.push(row);
            else byTarget.set(target, [row]);
          }
          // The group: each moving user with its orders (a write between the two reads is captured and copied again).
          const orders = groupByTarget(this.plan, await source.ordersOfUsers([...byTarget.values()].flat().map((u) => u.userId)));
          await Promise.all([...byTarget].map(([target, list]) => this.stores[target]!.applyUsers(list, [], orders.get(target) ?? [])));
          const n = [...byTarget.values()].reduce((a, l) => a + l.length, 0);
          cursor = rows[rows.length - 1]!.userId;
          copied += n;
          done += n;
          await source.saveCopyProgress(this.jobId, cursor, copied, false);
          progress(done);
        }
        await source.saveCopyProgress(this.jobId, cursor, copied, true);
      }),
    );
    progress(done, true);
    this.copied = done - startedWith;
    const seconds = (this.clock() - started) / 1000;
    this.copyRate = seconds > 0 ? Math.round(this.copied / seconds) : null;
  }

  /** Applies the captured changes until few remain. */
  private async catchUp(): Promise<void> {
    const threshold = this.options.catchUpThreshold ?? 200;
    for (let round = 1; ; round++) {
      const applied = await this.applyChanges();
      const backlog = await this.backlog();
      this.log(`catch-up: round ${round}: ${applied} change(s) applied, ${backlog} waiting`);
      if (backlog <= threshold) return;
    }
  }

  private async backlog(): Promise<number> {
    const each = await Promise.all(this.plan.oldDatabase.map((db) => this.stores[db]!.backlog()));
    return each.reduce((a, b) => a + b, 0);
  }

  /** One pass over every old shard's captured changes; returns how many were applied. */
  private async applyChanges(): Promise<number> {
    const applied = await Promise.all(
      this.plan.oldDatabase.map(async (db, oldShard) => {
        const source = this.stores[db]!;
        let n = 0;
        for (;;) {
          const changes = await source.changes(this.batch);
          if (changes.length === 0) return n;
          const ids = [...new Set(changes.map((c) => c.userId))].filter(
            (id) => ownedByOldShard(this.plan, oldShard, id) && moves(this.plan, oldShard, id),
          );
          // The user's state now, not the operation: the change is applied whatever happened in between.
          const current = new Map((await source.usersByIds(ids)).map((u) => [u.userId, u]));
          const byTarget = new Map<number, { rows: UserRow[]; deletes: string[] }>();
          for (const id of ids) {
            const target = targetDatabaseOf(this.plan, id);
            let entry = byTarget.get(target);
            if (!entry) byTarget.set(target, (entry = { rows: [], deletes: [] }));
            const row = current.get(id);
            if (row) entry.rows.push(row);
            else entry.deletes.push(id);
          }
          const orders = groupByTarget(this.plan, await source.ordersOfUsers([...current.keys()]));
          await Promise.all(
            [...byTarget].map(([target, e]) => this.stores[target]!.applyUsers(e.rows, e.deletes, orders.get(target) ?? [])),
          );
          await source.forgetChanges(changes.map((c) => c.seq));
          n += changes.length;
          if (changes.length < this.batch) return n;
        }
      }),
    );
    return applied.reduce((a, b) => a + b, 0);
  }

  /**
   * Pauses writes on the old shards, applies the last changes, verifies every
   * new shard against the old ones, and records the new layout everywhere.
   * A difference aborts: the old shards take writes again, as before.
   */
  private async cutover(): Promise<void> {
    const recorded = await this.recordedSomewhere();
    let pausedAt: number | null = null;
    if (!recorded) {
      await this.savePhase('paused');
      this.log('cutover: pausing writes on the old shards (gateways hold and retry them)');
      // Counted from the first refusal on: a shard refuses writes from its own pause on.
      pausedAt = this.clock();
      await Promise.all(this.plan.oldDatabase.map((db) => this.pauseWrites(this.stores[db]!)));
      // Nothing can be added now (the pause waited for the writes in flight): one pass to the end of each log drains it.
      const applied = await this.applyChanges();
      const drainedAt = this.clock();
      await this.options.beforeVerify?.();
      const verifyStarted = this.clock();
      const comparisons = await this.verify();
      this.verifyMs = this.clock() - verifyStarted;
      const failed = comparisons.filter((c) => !c.equal);
      for (const c of comparisons) {
        this.log(
          `verify: new shard ${c.shardId}: ${c.actual.count} ${c.table}, checksum ${c.actual.sum}` +
            (c.equal ? ' = old' : `; expected ${c.expected.count} ${c.table}, checksum ${c.expected.sum}: MISMATCH`),
        );
      }
      if (failed.length > 0) await this.abort(failed);
      const replicasFrom = this.clock();
      await this.waitForNewReplicas();
      this.log(
        `cutover: paused and ${applied} last change(s) applied in ${drainedAt - pausedAt} ms, verified in ${this.verifyMs} ms, ` +
          `new replicas caught up in ${this.clock() - replicasFrom} ms`,
      );
    } else {
      this.log(`cutover: the new layout (epoch ${this.toEpoch}) is already recorded on some databases; recording it on the rest`);
    }
    await this.recordEverywhere();
    if (pausedAt !== null) {
      this.writePauseMs = this.clock() - pausedAt;
      this.log(`cutover: new layout recorded (epoch ${this.toEpoch}); writes were paused for ${this.writePauseMs} ms`);
    }
  }

  private async recordedSomewhere(): Promise<boolean> {
    const layouts = await Promise.all(this.stores.map((s) => s.latestLayout()));
    return layouts.some((l) => l !== null && l.epoch >= this.toEpoch);
  }

  private async pauseWrites(store: ReshardStore): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await store.pauseWrites(this.options.lockTimeoutMs ?? 5000);
      } catch (err) {
        if (!(err instanceof SqlError && err.sqlState === LOCK_NOT_AVAILABLE) || attempt >= PAUSE_ATTEMPTS) throw err;
        this.log(`cutover: writes in flight did not finish in time; trying again (${attempt}/${PAUSE_ATTEMPTS})`);
      }
    }
  }

  /**
   * Row count and checksum per new shard and co-located table (users, orders),
   * against the same users' rows on the old shards. Checksums first (one pass, nothing kept per user); only a shard
   * that differs is compared user by user, to name the differences.
   */
  private async verify(): Promise<(ShardComparison & { table: string })[]> {
    const [users, orders] = await Promise.all([
      this.verifyTable(() => Promise.all(this.stores.map((s) => s.digests()))),
      // One digest per user over its orders; the counts are of orders.
      this.verifyTable(() => Promise.all(this.stores.map((s) => s.orderDigests()))),
    ]);
    return [...users.map((c) => ({ ...c, table: 'users' })), ...orders.map((c) => ({ ...c, table: 'orders' }))];
  }

  /** One co-located table: per new shard, its rows' count and checksum against the same users' rows on the old shards. */
  private async verifyTable(read: () => Promise<{ userId: string; digest: string; rows?: number }[][]>): Promise<ShardComparison[]> {
    const expected = this.plan.newDatabase.map(() => new ChecksumSum());
    const actual = this.plan.newDatabase.map(() => new ChecksumSum());
    const digests = await read();
    const sides = (visit: (side: 'expected' | 'actual', newShard: number, userId: string, digest: string, rows: number) => void) =>
      this.plan.databases.forEach((db, i) => {
        for (const { userId, digest, rows } of digests[i]!) {
          const newShard = shardIdFor(userId, this.plan.newCount);
          if (db.oldShard !== null && ownedByOldShard(this.plan, db.oldShard, userId))
            visit('expected', newShard, userId, digest, rows ?? 1);
          if (db.newShard !== null && newShard === db.newShard) visit('actual', newShard, userId, digest, rows ?? 1);
        }
      });
    sides((side, j, _, digest, rows) => (side === 'expected' ? expected : actual)[j]!.add(digest, rows));
    const comparisons = this.plan.newDatabase.map((_, j): ShardComparison => {
      const e = expected[j]!.result();
      const a = actual[j]!.result();
      return { shardId: j, expected: e, actual: a, equal: e.count === a.count && e.sum === a.sum, differences: [] };
    });
    const failed = new Set(comparisons.filter((c) => !c.equal).map((c) => c.shardId));
    if (failed.size === 0) return comparisons;
    const maps = this.plan.newDatabase.map(() => ({ expected: new Map<string, string>(), actual: new Map<string, string>() }));
    sides((side, j, userId, digest) => {
      if (failed.has(j)) maps[j]![side].set(userId, digest);
    });
    return comparisons.map((c) => (c.equal ? c : compareShard(c.shardId, maps[c.shardId]!.expected, maps[c.shardId]!.actual)));
  }

  private async abort(failed: readonly ShardComparison[]): Promise<never> {
    const differences = failed.flatMap((c) => c.differences.map((d) => ({ ...d, shardId: c.shardId })));
    for (const d of differences.slice(0, SHOWN_DIFFERENCES)) {
      const what =
        d.kind === 'missing' ? 'missing on the new shard' : d.kind === 'extra' ? 'on the new shard but not on the old ones' : 'differs';
      this.log(`verify: new shard ${d.shardId}: user ${JSON.stringify(d.userId)} ${what}`);
    }
    if (differences.length > SHOWN_DIFFERENCES) this.log(`verify: ... and ${differences.length - SHOWN_DIFFERENCES} more`);
    // Copied again by the next run's catch-up, from the old shards' current state.
    const byOwner = new Map<number, string[]>();
    for (const d of differences) {
      const owner = shardIdFor(d.userId, this.plan.oldCount);
      byOwner.set(owner, [...(byOwner.get(owner) ?? []), d.userId]);
    }
    await Promise.all([...byOwner].map(([owner, ids]) => this.stores[this.plan.oldDatabase[owner]!]!.queueChanges(ids)));
    await Promise.all(
      this.plan.oldDatabase.map((db, oldShard) =>
        this.stores[db]!.setGuard({ state: 'active', shardCount: this.plan.oldCount, shardId: oldShard }),
      ),
    );
    await this.savePhase(phaseAfter('cutover', 'aborted'));
    throw new ReshardError(
      `cutover aborted: ${differences.length} user(s) differ between the old and the new shards; the old layout serves as before ` +
        '(writes resumed). The differing users are queued to be copied again: run the same command to retry.',
    );
  }

  /** EVENTUAL reads go to the new shards' replicas as soon as a gateway switches: they must have the last changes. */
  private async waitForNewReplicas(): Promise<void> {
    const shards = this.newShards!;
    const deadline = this.clock() + REPLICA_WAIT_MS;
    await Promise.all(
      shards.manager.allShards().map(async (shard) => {
        const primary = shards.manager.writeTarget(shard.id)?.node;
        if (!primary || shard.replicas.length === 0) return;
        const target = (await shards.db.probe(primary, 2000)).lsn;
        if (!target) return;
        for (const replica of shard.nodes.filter((n) => n.key !== primary.key)) {
          for (;;) {
            const lsn = await shards.db.probe(replica, 2000).then(
              (p) => p.lsn,
              () => null,
            );
            if (lsn && parseLsn(lsn) >= parseLsn(target)) break;
            if (this.clock() > deadline) {
              this.log(`cutover: replica ${replica.address} of new shard ${shard.id} has not replayed the last changes; switching anyway`);
              break;
            }
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      }),
    );
  }

  /**
   * Records the new layout on every database: new databases first, then the
   * old shards that stay, then the ones that leave. Each database switches in
   * one transaction (guard, layout, no more change capture).
   */
  private async recordEverywhere(): Promise<void> {
    const rank = (i: number) => {
      const db = this.plan.databases[i]!;
      return db.oldShard === null ? 0 : db.newShard !== null ? 1 : 2;
    };
    const order = this.plan.databases.map((_, i) => i).sort((a, b) => rank(a) - rank(b));
    for (const i of order) {
      const db = this.plan.databases[i]!;
      const guard: GuardState =
        db.newShard !== null ? { state: 'active', shardCount: this.plan.newCount, shardId: db.newShard } : { state: 'retired' };
      await this.stores[i]!.recordLayout(this.toEpoch, this.options.recordedTo, guard);
    }
  }

  /** Deletes, in batches, every user from the databases it no longer belongs to. */
  private async cleanup(): Promise<void> {
    const delay = this.options.cleanupDelayMs ?? 5000;
    if (delay > 0) {
      this.log(`cleanup: waiting ${formatSeconds(delay / 1000)} for every gateway to adopt the new layout`);
      await new Promise((r) => setTimeout(r, delay));
    }
    const sizes = await Promise.all(this.stores.map((s) => s.countUsers()));
    const progress = this.progress(
      'cleanup (users checked)',
      sizes.reduce((a, b) => a + b, 0),
    );
    let checked = 0;
    let deleted = 0;
    await Promise.all(
      this.plan.databases.map(async (_, i) => {
        const store = this.stores[i]!;
        let cursor: string | null = null;
        for (;;) {
          const ids = await store.scanUserIds(cursor, this.batch);
          if (ids.length === 0) break;
          const leaving = ids.filter((id) => !belongsAfter(this.plan, i, id));
          const removed = await store.deleteUsers(leaving);
          deleted += removed;
          cursor = ids[ids.length - 1]!;
          checked += ids.length;
          progress(checked);
        }
      }),
    );
    progress(checked, true);
    // The change capture served the copy only; it goes now rather than inside the write pause (it locks `users` briefly).
    await Promise.all(this.plan.oldDatabase.map((db) => this.stores[db]!.dropChangeCapture()));
    this.log(`cleanup: ${deleted} user(s) deleted from the shards they left`);
  }

  /** A progress printer for one step: at most every progressIntervalMs, and always when forced. */
  private progress(step: string, total: number): (done: number, force?: boolean) => void {
    const started = this.clock();
    const every = this.options.progressIntervalMs ?? 1000;
    let last = -Infinity;
    return (done, force = false) => {
      const now = this.clock();
      if (!force && now - last < every) return;
      last = now;
      this.log(formatProgress(step, done, total, started, now));
    };
  }
}
