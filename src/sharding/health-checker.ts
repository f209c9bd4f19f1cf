import { ProbeTimedOut, type NodeProbe } from './node-probe.js';
import { decideReplicaLag } from './replica-lag.js';
import type { ShardManager } from './shard-manager.js';
import type { ShardNode } from './shard.js';
import { settleAll } from '../util/settle-all.js';

/** Probes one node; rejects when the node cannot be reached (with ProbeTimedOut when it ran out of time). Implemented behind the repository's door. */
export type NodeProber = (node: ShardNode, timeoutMs: number) => Promise<NodeProbe>;

export interface HealthCheckerOptions {
  /** Time between rounds. @default 1000 */
  readonly intervalMs: number;
  /** A probe slower than this counts as a failure. @default 1000 */
  readonly timeoutMs: number;
  /** Injected for tests. @default Date.now */
  readonly clock?: () => number;
}

/**
 * Probes every node once per interval, in parallel: its recovery state,
 * timeline and system identifier (from which the ShardManager decides the
 * roles), and its WAL position and replay lag. A shard can also be probed at
 * once (`probeShardNow`), when a write finds its primary gone.
 */
export class HealthChecker {
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  private readonly clock: () => number;
  /** On-demand probes per shard: the one running, and at most one queued behind it. */
  private readonly onDemand = new Map<number, { current: Promise<void>; next: Promise<void> | null }>();

  constructor(
    private readonly manager: ShardManager,
    private readonly probe: NodeProber,
    private readonly options: HealthCheckerOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** Runs a first round (so routing starts from real health), then keeps probing in the background. */
  async start(): Promise<void> {
    await this.checkOnce();
    if (this.timer) return;
    this.timer = setInterval(() => {
      // A slow round is not overlapped by the next one.
      if (!this.round) void this.checkOnce();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const running = [this.round, ...[...this.onDemand.values()].flatMap((e) => [e.current, e.next])];
    await settleAll(running.filter((p): p is Promise<void> => p !== null));
  }

  /** One round over every shard. Never rejects. */
  checkOnce(): Promise<void> {
    if (this.round) return this.round;
    const done = () => {
      this.round = null;
    };
    this.round = settleAll(this.manager.allShards().map((shard) => this.checkShard(shard.id))).then(done, done);
    return this.round;
  }

  /**
   * Probes one shard now, not at the next round. Calls while a probe of the
   * shard runs share one more probe that starts after it (the running one may
   * have started before the caller saw its failure), so a burst of failed
   * writes costs two probes, not one each. Never rejects.
   */
  probeShardNow(shardId: number): Promise<void> {
    const entry = this.onDemand.get(shardId);
    if (entry) return (entry.next ??= entry.current.then(() => this.probeShardNow(shardId)));
    const current = this.checkShard(shardId)
      .catch(() => {})
      .finally(() => this.onDemand.delete(shardId));
    this.onDemand.set(shardId, { current, next: null });
    return current;
  }

  private async checkShard(shardId: number): Promise<void> {
    const nodes = this.manager.shard(shardId).nodes;
    const startedAt = this.clock();
    const results = await Promise.allSettled(nodes.map((n) => this.probe(n, this.options.timeoutMs)));
    const now = this.clock();
    // First the roles, so that the lag below is measured against the primary they decide.
    nodes.forEach((node, i) => {
      const result = results[i]!;
      if (result.status === 'rejected') {
        // A probe that timed out while the node answered other work meanwhile is slowness, not a failure (judgeMiss).
        const timedOut = result.reason instanceof ProbeTimedOut;
        this.manager.recordFailure(node, now, describe(result.reason), {
          startedAt: timedOut ? result.reason.startedAt : startedAt,
          timedOut,
        });
        return;
      }
      const { inRecovery, timeline, systemIdentifier } = result.value;
      this.manager.recordSuccess(node, now, { role: { inRecovery, timeline, systemIdentifier } });
    });
    const primary = this.manager.rolesOf(shardId).primary;
    const primaryIndex = primary ? nodes.findIndex((n) => n.key === primary.key) : -1;
    const primaryResult = results[primaryIndex];
    const primaryLsn = primaryResult?.status === 'fulfilled' ? primaryResult.value.lsn : null;
    nodes.forEach((node, i) => {
      const result = results[i]!;
      if (result.status === 'fulfilled' && result.value.inRecovery) {
        this.manager.recordSuccess(node, now, { lag: decideReplicaLag(result.value, primaryLsn) });
      }
    });
  }
}

function describe(err: unknown): string {
  if (err instanceof ProbeTimedOut) return err.message;
  if (err instanceof Error) return (err as NodeJS.ErrnoException).code ?? err.message;
  return String(err);
}
