import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { sameNodes, topologyFromRecord } from '../config/recorded-topology.js';
import type { Topology } from '../config/topology.js';
import { openShards, type Shards } from '../repository/open-shards.js';
import { RESHARD_APPLICATION_NAME } from '../repository/reshard-schema.js';
import { EmailReshardStore } from '../repository/email-reshard-store.js';
import { ReshardStore, type JobRow, type RunLock } from '../repository/reshard-store.js';
import { settleAll } from '../util/settle-all.js';
import { cleanup } from './cleanup-phase.js';
import { cleanupLookup, copyLookup } from './email-lookup-phase.js';
import { catchUp, copy, prepare } from './copy-phase.js';
import { cutover } from './cutover-phase.js';
import { formatSeconds } from './format-progress.js';
import { ReshardContext } from './reshard-context.js';
import { ReshardError } from './reshard-error.js';
import type { ReshardOptions, ReshardResult } from './reshard-options.js';
import { mostAdvanced, phaseAfter, stepsFrom, type Phase, type Step } from './reshard-phase.js';
import { buildReshardPlan, countMoves, describePlan, emptyMoveCounts, type MoveCounts, type ReshardPlan } from './reshard-plan.js';
import { processAlive, takeRunLocks } from './run-lock.js';

export type { ReshardOptions, ReshardResult } from './reshard-options.js';

/**
 * `shardgate reshard`: moves every user to shard fnv1a32(userId) % M of the
 * new layout while gateways keep serving. Each step is recorded when done
 * (see reshard-phase.ts), so running it again after a crash or Ctrl-C
 * continues where it stopped. One run at a time: the run lock (run-lock.ts)
 * refuses a second one, naming the first.
 */
export async function runReshard(options: ReshardOptions): Promise<ReshardResult> {
  const run = new ReshardRun(options);
  try {
    return await run.execute();
  } finally {
    await run.close();
  }
}

/** The orchestrator: connects, reads where the job stands, holds the run lock, and runs the phases still to run. */
class ReshardRun {
  private readonly plan: ReshardPlan;
  private readonly clock: () => number;
  private readonly jobId: string;
  private readonly startedAt: number;
  private oldShards: Shards | null = null;
  private newShards: Shards | null = null;
  private stores: ReshardStore[] = [];
  private emailStores: EmailReshardStore[] = [];
  private locks: RunLock[] = [];
  private lockLost: unknown = null;
  private copied = 0;
  private copyRate: number | null = null;
  private writePauseMs: number | null = null;
  private verifyMs: number | null = null;

  constructor(private readonly options: ReshardOptions) {
    this.plan = buildReshardPlan(options.from, options.to);
    this.clock = options.clock ?? Date.now;
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
    const log = this.options.log;
    await this.connect();
    // Before anything is read: what a second run reads while the first one works is stale at once.
    if (!this.options.dryRun) await this.lock();
    const state = await this.readState();
    const latest = state.latestLayout;
    let phase = state.phase;
    let toEpoch: number;

    if (phase === null) {
      const busy = state.otherJobs.find((j) => j.phase !== 'done');
      if (busy) throw new ReshardError(`another reshard (job ${busy.jobId}, phase ${busy.phase}) is not finished; run it to the end first`);
      if (latest && this.matches(latest.topology, this.options.to)) {
        log(`nothing to do: the recorded layout (epoch ${latest.epoch}) is already --to`);
        return this.result('already-done', latest.epoch);
      }
      if (latest && !this.matches(latest.topology, this.options.from)) {
        throw new ReshardError(
          `the layout the gateways use (epoch ${latest.epoch}, recorded in the databases) is not --from; pass the current layout as --from`,
        );
      }
      toEpoch = (latest?.epoch ?? 0) + 1;
    } else if (phase === 'done') {
      log(`nothing to do: this reshard finished (layout epoch ${state.toEpoch})`);
      return this.result('already-done', state.toEpoch);
    } else {
      toEpoch = state.toEpoch;
      log(`resuming job ${this.jobId} at phase "${phase}" (new layout epoch ${toEpoch})`);
    }

    const ctx = new ReshardContext(this.plan, this.stores, this.jobId, toEpoch, {
      log,
      clock: this.clock,
      ...(this.options.batchSize !== undefined ? { batchSize: this.options.batchSize } : {}),
      ...(this.options.progressIntervalMs !== undefined ? { progressIntervalMs: this.options.progressIntervalMs } : {}),
    });
    const counts = await this.countUsers(ctx, phase === null);
    for (const line of describePlan(this.plan, counts)) log(line);
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
    // A co-located table no module given declares would stay behind, and go with its users at cleanup.
    const undeclared = [...new Set((await ctx.eachDatabase((_, s) => s.undeclaredGuardedTables())).flat())].sort();
    if (undeclared.length > 0) {
      throw new ReshardError(
        `table(s) ${undeclared.join(', ')} hold rows owned by users but no module given declares them: pass every module the gateways serve (--module), the built-in ones are always included`,
      );
    }
    if (this.options.dryRun) {
      log(phase === null ? 'dry run: nothing was changed' : `dry run: nothing was changed (job at phase "${phase}")`);
      return this.result('planned', toEpoch);
    }

    for (const step of stepsFrom(phase)) {
      this.assertLocked();
      await this.runStep(ctx, step, counts);
      phase = phaseAfter(step);
      await ctx.savePhase(phase);
    }
    const total = this.clock() - this.startedAt;
    log(
      `done: ${this.plan.newCount} shards (layout epoch ${toEpoch}) in ${formatSeconds(total / 1000)}` +
        (this.writePauseMs !== null ? `; writes paused ${this.writePauseMs} ms at the cutover` : ''),
    );
    return this.result('done', toEpoch);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.locks.map((l) => l.release()));
    await Promise.allSettled([this.oldShards?.close(), this.newShards?.close()]);
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
    await settleAll([this.oldShards.health.checkOnce(), this.newShards.health.checkOnce()]);
    this.stores = this.plan.databases.map((db) =>
      db.oldShard !== null
        ? new ReshardStore(this.oldShards!.db, db.oldShard, this.options.modules)
        : new ReshardStore(this.newShards!.db, db.newShard!, this.options.modules),
    );
    this.emailStores = this.plan.databases.map((db) =>
      db.oldShard !== null
        ? new EmailReshardStore(this.oldShards!.db, db.oldShard)
        : new EmailReshardStore(this.newShards!.db, db.newShard!),
    );
  }

  /** The run lock on every old shard (every reshard of this layout involves them; a new database may not even be migrated yet). */
  private async lock(): Promise<void> {
    const holder = this.options.holder ?? { host: hostname(), pid: process.pid };
    this.locks = await takeRunLocks(
      this.plan.oldDatabase.map((db) => this.stores[db]!),
      { holder, isAlive: processAlive, clock: this.clock },
    );
    for (const lock of this.locks) {
      void lock.lost.then((err) => {
        if (err !== null) this.lockLost ??= err;
      });
    }
  }

  /** Between steps: a run whose lock connection broke stops, rather than run beside a second one that may have started. */
  private assertLocked(): void {
    if (this.lockLost === null) return;
    throw new ReshardError(
      `lost the run lock (${(this.lockLost as Error).message ?? String(this.lockLost)}); run the same command again to resume`,
    );
  }

  private async readState(): Promise<{
    phase: Phase | null;
    toEpoch: number;
    otherJobs: JobRow[];
    latestLayout: { epoch: number; topology: unknown } | null;
  }> {
    // A database the migrations have not reached has no job and no layout (a dry run creates nothing).
    const found = await settleAll(
      this.stores.map(async (s) => {
        const exists = await s.objectsExist();
        const jobs = exists.job ? await s.jobs() : [];
        const layout = exists.layout ? await s.latestLayout() : null;
        return { jobs, layout };
      }),
    );
    const jobs = found.map((f) => f.jobs);
    const ours = jobs.map((rows) => rows.find((j) => j.jobId === this.jobId) ?? null);
    const phase = mostAdvanced(ours.filter((j): j is JobRow => j !== null).map((j) => j.phase));
    const toEpoch = Math.max(0, ...ours.map((j) => j?.toEpoch ?? 0));
    const otherJobs = jobs.flat().filter((j) => j.jobId !== this.jobId);
    let latestLayout: { epoch: number; topology: unknown } | null = null;
    for (const { layout } of found) if (layout && (!latestLayout || layout.epoch > latestLayout.epoch)) latestLayout = layout;
    return { phase, toEpoch, otherJobs, latestLayout };
  }

  private matches(recorded: unknown, topology: Topology): boolean {
    try {
      return sameNodes(topologyFromRecord(recorded, topology), topology);
    } catch {
      return false;
    }
  }

  /** Reads every old shard's user ids (only those it owns count: a database may also hold copies made for the new layout). */
  private async countUsers(ctx: ReshardContext, fresh: boolean): Promise<MoveCounts> {
    const counts = emptyMoveCounts(this.plan);
    await ctx.eachOldShard(async (oldShard, store) => {
      let cursor: string | null = null;
      for (;;) {
        const ids = await store.scanUserIds(cursor, Math.max(ctx.batch, 5000));
        if (ids.length === 0) break;
        countMoves(this.plan, counts, oldShard, ids);
        cursor = ids[ids.length - 1]!;
      }
    });
    // Resumed: copies made for the new layout are not misplaced users.
    if (!fresh) counts.misplaced.fill(0);
    return counts;
  }

  private async runStep(ctx: ReshardContext, step: Step, counts: MoveCounts): Promise<void> {
    switch (step) {
      case 'prepare':
        return prepare(ctx);
      case 'copy': {
        const { copied, copyRate } = await copy(ctx, counts.moving);
        this.copied = copied;
        this.copyRate = copyRate;
        await copyLookup(ctx, this.emailStores);
        return;
      }
      case 'catch-up':
        return catchUp(ctx, this.options.catchUpThreshold ?? 200);
      case 'cutover': {
        const { writePauseMs, verifyMs } = await cutover(ctx, {
          lockTimeoutMs: this.options.lockTimeoutMs ?? 5000,
          newShards: this.newShards!,
          recordedTo: this.options.recordedTo,
          emailLookup: this.emailStores,
        });
        this.writePauseMs = writePauseMs;
        this.verifyMs = verifyMs;
        return;
      }
      case 'cleanup':
        await cleanup(ctx, this.options.cleanupDelayMs ?? 5000);
        await cleanupLookup(ctx, this.emailStores);
        return;
    }
  }
}
