import type { NodePosition, ReplayPositions } from './replay-positions.js';
import type { ShardNode } from './shard.js';

/** Reads a standby's replay position now; rejects when it cannot be reached in `timeoutMs`. */
export type ReplayReader = (node: ShardNode, timeoutMs: number) => Promise<NodePosition>;

export interface ReplayWatchOptions {
  /** Pause between two readings of one standby while someone waits on it. @default 5 */
  readonly intervalMs?: number;
}

interface Waiter {
  readonly candidates: readonly ShardNode[];
  readonly lsn: bigint;
  readonly systemId: bigint;
  readonly timeline: number;
  readonly resolve: (node: ShardNode | null) => void;
}

/**
 * Short waits for a standby to replay a position. All the requests waiting
 * on one standby share one reader: at most one small statement per standby
 * in flight, one every `intervalMs` while anyone waits, none otherwise — so
 * a burst of token reads costs the standby what one costs. Health probes that
 * report a newer position end a wait at once too (they land in the same
 * ReplayPositions).
 */
export class ReplayWatch {
  private readonly waiters = new Set<Waiter>();
  private readonly reading = new Set<string>();
  private readonly intervalMs: number;

  constructor(
    private readonly positions: ReplayPositions,
    private readonly read: ReplayReader,
    options: ReplayWatchOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 5;
    positions.subscribe(() => this.settle());
  }

  /** The first of `candidates` to reach `lsn` on the given history within `waitMs`, else null. */
  waitFor(
    candidates: readonly ShardNode[],
    wanted: { lsn: bigint; systemId: bigint; timeline: number },
    waitMs: number,
  ): Promise<ShardNode | null> {
    const ready = candidates.find((n) => this.satisfies(n, wanted));
    if (ready) return Promise.resolve(ready);
    if (waitMs <= 0 || candidates.length === 0) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(null), waitMs);
      const waiter: Waiter = {
        candidates,
        ...wanted,
        resolve: (node) => finish(node),
      };
      const finish = (node: ShardNode | null) => {
        if (!this.waiters.delete(waiter)) return;
        clearTimeout(timer);
        resolve(node);
      };
      this.waiters.add(waiter);
      for (const node of candidates) this.startReading(node, waitMs);
    });
  }

  private satisfies(node: ShardNode, w: { lsn: bigint; systemId: bigint; timeline: number }): boolean {
    const p = this.positions.of(node);
    return p !== null && p.systemId === w.systemId && p.timeline === w.timeline && p.lsn >= w.lsn;
  }

  private settle(): void {
    for (const waiter of this.waiters) {
      const node = waiter.candidates.find((n) => this.satisfies(n, waiter));
      if (node) waiter.resolve(node);
    }
  }

  private isWanted(node: ShardNode): boolean {
    for (const w of this.waiters) if (w.candidates.includes(node)) return true;
    return false;
  }

  /** One reader loop per standby, while someone waits on it. */
  private startReading(node: ShardNode, timeoutMs: number): void {
    if (this.reading.has(node.id)) return;
    this.reading.add(node.id);
    const loop = async () => {
      try {
        while (this.isWanted(node)) {
          try {
            this.positions.record(node, await this.read(node, Math.max(timeoutMs, 100)));
          } catch {
            // An unreachable standby simply never satisfies the wait; health checks deal with it.
            return;
          }
          if (!this.isWanted(node)) return;
          await new Promise((r) => setTimeout(r, this.intervalMs));
        }
      } finally {
        this.reading.delete(node.id);
      }
    };
    void loop();
  }
}
