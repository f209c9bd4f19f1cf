import { Scatter } from '../sharding/scatter.js';

export interface ShardUserCountsOptions {
  /** A count younger than this is reused. @default 30000 */
  readonly maxAgeMs?: number;
  /** @default Date.now */
  readonly clock?: () => number;
}

/**
 * Users per shard for the `shardgate_shard_users` gauge. Counting is a
 * statement per shard, so it runs when someone scrapes and the last count is
 * older than `maxAgeMs`, never more often, however often Prometheus scrapes;
 * concurrent scrapes share one round. A shard that cannot answer keeps its
 * last count (none until one succeeds).
 */
export class ShardUserCounts {
  private readonly counts = new Map<number, number>();
  private countedAt: number | null = null;
  private round: Promise<void> | null = null;
  private readonly maxAgeMs: number;
  private readonly clock: () => number;

  constructor(
    /** A function when the shard set may change (a gateway adopting a reshard's layout). */
    private readonly shardIds: readonly number[] | (() => readonly number[]),
    private readonly count: (shardId: number) => Promise<number>,
    options: ShardUserCountsOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 30_000;
    this.clock = options.clock ?? Date.now;
  }

  /** Counts again if the last round is too old. Never rejects. */
  refreshIfStale(): Promise<void> {
    if (this.round) return this.round;
    const now = this.clock();
    if (this.countedAt !== null && now - this.countedAt < this.maxAgeMs) return Promise.resolve();
    this.countedAt = now;
    const ids = typeof this.shardIds === 'function' ? this.shardIds() : this.shardIds;
    for (const id of [...this.counts.keys()]) if (!ids.includes(id)) this.counts.delete(id);
    // A shard that fails keeps its last count; the others are counted anyway.
    this.round = new Scatter()
      .settled({ kind: 'all', shardIds: ids }, async (id) => this.counts.set(id, await this.count(id)))
      .then(() => {
        this.round = null;
      });
    return this.round;
  }

  /** The last known count of each shard that has one, in shard order. */
  snapshot(): ReadonlyMap<number, number> {
    return new Map([...this.counts].sort((a, b) => a[0] - b[0]));
  }
}
