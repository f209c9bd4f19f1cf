import type { ReshardStore } from '../repository/reshard-store.js';
import { settleAll } from '../util/settle-all.js';
import { formatProgress } from './format-progress.js';
import type { Phase } from './reshard-phase.js';
import type { ReshardPlan } from './reshard-plan.js';

/** What every phase of one run shares: the plan, one store per database, the job, the log. */
export class ReshardContext {
  readonly batch: number;
  readonly clock: () => number;
  readonly log: (line: string) => void;
  private readonly progressIntervalMs: number;

  constructor(
    readonly plan: ReshardPlan,
    /** Indexed like plan.databases. */
    readonly stores: readonly ReshardStore[],
    readonly jobId: string,
    readonly toEpoch: number,
    options: { batchSize?: number; progressIntervalMs?: number; clock?: () => number; log: (line: string) => void },
  ) {
    this.batch = options.batchSize ?? 1000;
    this.clock = options.clock ?? Date.now;
    this.log = options.log;
    this.progressIntervalMs = options.progressIntervalMs ?? 1000;
  }

  /** The store of the database that is old shard `oldShard`. */
  oldStore(oldShard: number): ReshardStore {
    return this.stores[this.plan.oldDatabase[oldShard]!]!;
  }

  /** `work` on every old shard at once; waits for all of them, then throws the first failure. */
  eachOldShard<T>(work: (oldShard: number, store: ReshardStore) => Promise<T>): Promise<T[]> {
    return settleAll(this.plan.oldDatabase.map((db, oldShard) => work(oldShard, this.stores[db]!)));
  }

  /** `work` on every database taking part at once; waits for all of them, then throws the first failure. */
  eachDatabase<T>(work: (database: number, store: ReshardStore) => Promise<T>): Promise<T[]> {
    return settleAll(this.stores.map((store, i) => work(i, store)));
  }

  async savePhase(phase: Phase): Promise<void> {
    await this.eachDatabase((_, s) => s.saveJob(this.jobId, phase, this.toEpoch));
  }

  /** A progress printer for one step: at most every progressIntervalMs, and always when forced. */
  progress(step: string, total: number): (done: number, force?: boolean) => void {
    const started = this.clock();
    let last = -Infinity;
    return (done, force = false) => {
      const now = this.clock();
      if (!force && now - last < this.progressIntervalMs) return;
      last = now;
      this.log(formatProgress(step, done, total, started, now));
    };
  }
}
