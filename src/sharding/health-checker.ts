import { computeReplicaLag, type NodeProbe } from './replica-lag.js';
import type { ShardManager } from './shard-manager.js';
import type { ShardNode } from './shard.js';

/** Probes one node; rejects when the node cannot be reached in time. Implemented behind the repository's door. */
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
 * Probes every node once per interval, in parallel: a primary reports its WAL
 * position, a replica its replay position and lag. Results go to the
 * ShardManager, which decides (purely) whether a node is served.
 */
export class HealthChecker {
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  private readonly clock: () => number;

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
    await this.round;
  }

  /** One round over every shard. Never rejects. */
  checkOnce(): Promise<void> {
    if (this.round) return this.round;
    this.round = Promise.all(this.manager.allShards().map((shard) => this.checkShard(shard.nodes))).then(
      () => {
        this.round = null;
      },
      () => {
        this.round = null;
      },
    );
    return this.round;
  }

  private async checkShard(nodes: readonly ShardNode[]): Promise<void> {
    const results = await Promise.allSettled(nodes.map((n) => this.probe(n, this.options.timeoutMs)));
    const now = this.clock();
    const primaryIndex = nodes.findIndex((n) => n.role === 'primary');
    const primaryResult = results[primaryIndex];
    const primaryLsn = primaryResult?.status === 'fulfilled' ? primaryResult.value.lsn : null;
    nodes.forEach((node, i) => {
      const result = results[i]!;
      if (result.status === 'rejected') {
        this.manager.recordFailure(node, now, describe(result.reason));
        return;
      }
      if (node.role === 'primary') {
        this.manager.recordSuccess(node, now);
      } else {
        this.manager.recordSuccess(node, now, {
          lag: computeReplicaLag(result.value, primaryLsn),
          notAReplica: !result.value.inRecovery,
        });
      }
    });
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return (err as NodeJS.ErrnoException).code ?? err.message;
  return String(err);
}
