import type { NoWriteReason } from './decide-shard-roles.js';
import type { NodeTarget } from './node-target.js';
import type { ShardManager } from './shard-manager.js';

export interface WriteBufferOptions {
  /** How long a write may wait for its shard to have a primary; 0 turns buffering off. @default 5000 */
  readonly maxWaitMs: number;
  /** Writes waiting at once in this gateway (all shards); those beyond fail at once. @default 1000 */
  readonly maxWaiting: number;
  /** While writes wait, their shard is probed this often (a promotion is seen within this). @default 100 */
  readonly pollMs?: number;
  /** @default Date.now */
  readonly clock?: () => number;
}

export const DEFAULT_WRITE_BUFFER_OPTIONS: WriteBufferOptions = Object.freeze({ maxWaitMs: 5_000, maxWaiting: 1000 });

/**
 * How a wait for a primary ended: `sent` (a primary appeared and the write
 * went to it), `expired` (none in time, or the request's deadline came),
 * `overflow` (too many writes were already waiting).
 */
export type BufferOutcome = 'sent' | 'expired' | 'overflow';

/**
 * Where a write goes, or why it cannot go anywhere: `split-brain` fails at
 * once (more than one node claims to be primary; that takes an operator, not
 * seconds, to resolve, so waiting would only spend the client's deadline).
 */
export type WriteSlot =
  | { readonly ok: true; readonly target: NodeTarget }
  | { readonly ok: false; readonly why: 'expired' | 'overflow' | 'off' | 'split-brain'; readonly reason: NoWriteReason };

/** One write's turn at the buffer: ask `next` for a primary (again after a failure), then `end`. */
export interface WriteAttempt {
  /**
   * The shard's primary, waiting for one when there is none. After a failed
   * attempt that is safe to retry (`failed`), the shard is probed first, so a
   * node that just refused the write is not picked again on stale knowledge.
   */
  next(failed?: NodeTarget): Promise<WriteSlot>;
  /** Always call once the write is done, whatever happened. */
  end(): void;
}

type Waiter = () => void;

/**
 * Holds writes while their shard has no primary (a failover, a split brain),
 * up to a bounded time and number, and wakes them when the ShardManager
 * decides a new primary. While writes wait, their shard is probed every
 * `pollMs` rather than at the health checker's next round, so a promotion is
 * followed within a fraction of a second.
 */
export class WriteBuffer {
  private readonly clock: () => number;
  private readonly pollMs: number;
  private readonly waiters = new Map<number, Set<Waiter>>();
  private readonly waitingByShard = new Map<number, number>();
  private waitingTotal = 0;
  private readonly polling = new Set<number>();
  private readonly outcomeListeners: ((shardId: number, outcome: BufferOutcome) => void)[] = [];

  constructor(
    private readonly manager: ShardManager,
    /** Probes the shard now; resolves when its roles are re-decided. Never rejects. */
    private readonly probeNow: (shardId: number) => Promise<void>,
    private readonly options: WriteBufferOptions = DEFAULT_WRITE_BUFFER_OPTIONS,
  ) {
    this.clock = options.clock ?? Date.now;
    this.pollMs = options.pollMs ?? 100;
    manager.onRolesChange((shardId, roles) => {
      if (roles.primary !== null || roles.noWriteReason === 'SPLIT_BRAIN') this.wake(shardId);
    });
  }

  /** Writes waiting now, per shard (a gauge). */
  waiting(): ReadonlyMap<number, number> {
    return this.waitingByShard;
  }

  /** Told how each wait ended (a counter). */
  onOutcome(listener: (shardId: number, outcome: BufferOutcome) => void): void {
    this.outcomeListeners.push(listener);
  }

  /** Starts one write on `shardId`; `deadline` is the request's (absolute, the clock's ms), if it has one. */
  attempt(shardId: number, deadline?: number): WriteAttempt {
    let waitUntil: number | null = null; // set when the write first has to wait, so retries share one budget
    let holdsPlace = false; // one of the maxWaiting places, while actually waiting
    let waited = false;
    let recorded = false;
    const record = (outcome: BufferOutcome) => {
      if (recorded) return;
      recorded = true;
      for (const l of this.outcomeListeners) l(shardId, outcome);
    };
    const leave = () => {
      if (!holdsPlace) return;
      holdsPlace = false;
      this.waitingTotal--;
      const left = (this.waitingByShard.get(shardId) ?? 1) - 1;
      if (left > 0) this.waitingByShard.set(shardId, left);
      else this.waitingByShard.delete(shardId);
    };
    const fail = (why: 'expired' | 'overflow' | 'off' | 'split-brain'): WriteSlot => {
      leave();
      // A write that waited and then met a split brain is counted as expired (the outcomes stay sent, expired, overflow).
      if (why === 'split-brain') {
        if (waited) record('expired');
      } else if (why !== 'off') record(why);
      return { ok: false, why, reason: this.manager.noWriteReason(shardId) ?? 'NO_PRIMARY' };
    };
    /** Takes a place in the buffer; false when it is full. */
    const wait = (): boolean => {
      waitUntil ??= Math.min(this.clock() + this.options.maxWaitMs, deadline ?? Infinity);
      if (holdsPlace) return true;
      if (this.waitingTotal >= this.options.maxWaiting) return false;
      holdsPlace = waited = true;
      this.waitingTotal++;
      this.waitingByShard.set(shardId, (this.waitingByShard.get(shardId) ?? 0) + 1);
      return true;
    };

    return {
      next: async (failed) => {
        if (this.options.maxWaitMs === 0) {
          // No buffering: fail now, but let the next write find the new primary.
          if (failed) void this.probeNow(shardId);
          const target = failed ? null : this.manager.writeTarget(shardId);
          return target ? { ok: true, target } : fail('off');
        }
        if (failed) {
          if (!wait()) return fail('overflow');
          await this.within(this.probeNow(shardId), waitUntil!);
        }
        for (;;) {
          const target = this.manager.writeTarget(shardId);
          // The node that just failed, still primary and not answering (a crash, before any promotion): wait, don't hammer it.
          const sameDeadNode = failed && target && target.node.key === failed.node.key && !this.manager.isReachable(target.node);
          if (target && !sameDeadNode) {
            leave();
            return { ok: true, target };
          }
          if (!target && this.manager.noWriteReason(shardId) === 'SPLIT_BRAIN') return fail('split-brain');
          if (!wait()) return fail('overflow');
          if (this.clock() >= waitUntil!) return fail('expired');
          this.poll(shardId);
          await this.sleepUntilChange(shardId, sameDeadNode ? Math.min(waitUntil!, this.clock() + this.pollMs) : waitUntil!);
        }
      },
      end: () => {
        leave();
        if (waited) record('sent');
      },
    };
  }

  private wake(shardId: number): void {
    const set = this.waiters.get(shardId);
    if (!set) return;
    this.waiters.delete(shardId);
    for (const w of set) w();
  }

  /** Resolves on the shard's next change of roles, or at `until`, whichever is first. */
  private sleepUntilChange(shardId: number, until: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(shardId);
      if (!set) this.waiters.set(shardId, (set = new Set()));
      const timer = setTimeout(done, Math.max(0, until - this.clock()));
      function done() {
        clearTimeout(timer);
        set!.delete(done);
        resolve();
      }
      set.add(done);
    });
  }

  /** Probes the shard every pollMs while any write on it waits (one loop per shard). */
  private poll(shardId: number): void {
    if (this.polling.has(shardId)) return;
    this.polling.add(shardId);
    const loop = async () => {
      while ((this.waitingByShard.get(shardId) ?? 0) > 0) {
        const started = this.clock();
        await this.probeNow(shardId);
        const rest = this.pollMs - (this.clock() - started);
        if (rest > 0) await new Promise((r) => setTimeout(r, rest));
      }
      this.polling.delete(shardId);
    };
    void loop();
  }

  private async within(work: Promise<void>, until: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([work, new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, until - this.clock()))))]);
    clearTimeout(timer);
  }
}
