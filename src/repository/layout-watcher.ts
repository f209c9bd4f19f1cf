import type { Logger } from 'pino';
import { sameNodes, topologyFromRecord } from '../config/recorded-topology.js';
import type { Topology } from '../config/topology.js';
import type { Database, RecordedLayout } from './database.js';
import type { LayoutWaiter } from './layout-retry.js';
import { pickNewerLayout } from '../sharding/pick-newer-layout.js';
import { Scatter } from '../sharding/scatter.js';
import { routeAll } from '../sharding/shard-route.js';
import type { ShardManager } from '../sharding/shard-manager.js';

export interface LayoutWatcherOptions {
  /** Time between reads of the recorded layout. @default 1000 (the health interval) */
  readonly intervalMs: number;
  /** A read slower than this counts as no answer. @default 1000 */
  readonly timeoutMs: number;
  /** While writes wait for a layout change, the layout is read this often. @default 100 */
  readonly pollMs?: number;
  readonly logger?: Logger;
  /** @default Date.now */
  readonly clock?: () => number;
}

/**
 * Follows the layout that `shardgate reshard` records on the shards'
 * primaries. Each interval (and at once when a write was refused by a layout
 * guard) it reads the latest recorded layout from every primary; a higher
 * epoch than the one served is adopted: the shard set is swapped in place,
 * new shards get pools and are probed, removed ones drain. The topology file
 * stays as it is: a gateway started later with the old file adopts the
 * recorded layout before it serves.
 */
export class LayoutWatcher implements LayoutWaiter {
  private epoch = 0;
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  private lastRoundAt = -Infinity;
  private readonly waiters = new Set<() => void>();
  private readonly clock: () => number;
  private readonly pollMs: number;
  private refused = -1;

  constructor(
    private readonly shards: { readonly manager: ShardManager; readonly db: Database; adoptLayout(topology: Topology): Promise<void> },
    private topology: Topology,
    private readonly options: LayoutWatcherOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.pollMs = options.pollMs ?? 100;
  }

  /** The epoch of the layout served: 0 until a recorded one is adopted. */
  get currentEpoch(): number {
    return this.epoch;
  }

  /** Reads the layout once (so a gateway serves the recorded layout from its first request), then keeps reading. */
  async start(): Promise<void> {
    await this.checkNow();
    if (this.timer) return;
    this.timer = setInterval(() => void this.checkNow(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.round;
  }

  /** The topology file was reloaded (SIGHUP): passwords of its nodes are used for recorded layouts. */
  reloaded(topology: Topology): void {
    this.topology = topology;
  }

  /** One read of every primary; adopts a newer layout. Never rejects; concurrent calls share one round. */
  checkNow(): Promise<void> {
    if (this.round) return this.round;
    this.lastRoundAt = this.clock();
    const done = () => {
      this.round = null;
    };
    this.round = this.check().then(done, (err) => {
      done();
      this.options.logger?.error({ err }, 'reading the recorded shard layout failed');
    });
    return this.round;
  }

  async waitForLayout(until: number): Promise<void> {
    const remaining = until - this.clock();
    if (remaining <= 0) return;
    let finish!: () => void;
    const woken = new Promise<void>((resolve) => (finish = resolve));
    const timer = setTimeout(finish, Math.min(this.pollMs, remaining));
    this.waiters.add(finish);
    // Writes refused at the same moment share one read per half poll interval.
    if (this.clock() - this.lastRoundAt >= this.pollMs / 2) void this.checkNow();
    await woken;
    clearTimeout(timer);
    this.waiters.delete(finish);
  }

  private async check(): Promise<void> {
    const { manager, db } = this.shards;
    // A primary that does not answer (or has none) says nothing; the others may still carry a newer layout.
    const answers = await new Scatter().settled(routeAll(manager.shardCount), async (shardId) => {
      const target = manager.writeTarget(shardId);
      return target ? db.readLayout(target.node, this.options.timeoutMs) : null;
    });
    const recorded = answers.map((a) => (a.ok ? a.value : null));
    const newer = pickNewerLayout<RecordedLayout>(this.epoch, recorded);
    if (!newer) return;
    let topology: Topology;
    try {
      topology = topologyFromRecord(newer.topology, this.topology);
    } catch (err) {
      if (this.refused !== newer.epoch) {
        this.refused = newer.epoch;
        this.options.logger?.error(
          { epoch: newer.epoch, error: (err as Error).message },
          'the recorded shard layout cannot be used; the running topology stays',
        );
      }
      return;
    }
    if (!sameNodes(topology, this.topology)) {
      const from = manager.shardCount;
      await this.shards.adoptLayout(topology);
      this.options.logger?.warn(
        { epoch: newer.epoch, from, to: topology.shards.length },
        `adopted the recorded shard layout (epoch ${newer.epoch}): ${topology.shards.length} shard(s)`,
      );
    }
    this.topology = topology;
    this.epoch = newer.epoch;
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiting) wake();
  }
}
