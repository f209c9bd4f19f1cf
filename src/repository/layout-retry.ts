import { ShardUnavailableError, SqlError } from './errors.js';
import { LAYOUT_CHANGING_SQLSTATE } from './reshard-schema.js';

/** What a write refused by a layout guard waits for. */
export interface LayoutWaiter {
  /**
   * Resolves when the write may be tried again: a newer layout was adopted,
   * or a short poll interval passed (the pause may have ended); never later
   * than `until` (ms, the clock's).
   */
  waitForLayout(until: number): Promise<void>;
}

export interface LayoutRetryOptions {
  /** How long a write may wait for a layout change to finish (the failover buffer's budget). @default 10000 */
  readonly maxWaitMs: number;
  /** @default Date.now */
  readonly clock?: () => number;
}

/** True for a write the layout guard refused: nothing was written, it may be sent again. */
export function isLayoutRefusal(err: unknown): boolean {
  return err instanceof SqlError && err.sqlState === LAYOUT_CHANGING_SQLSTATE;
}

/**
 * Runs a single-user write, and runs it again, routed afresh, when a layout
 * guard refused it (SQLSTATE SGL01: writes paused by a reshard's cutover, or
 * the user now lives on another shard). Between attempts it waits for the
 * gateway to adopt the new layout, within the failover buffer's budget;
 * past it, the write fails with SHARD_UNAVAILABLE for the shard it was routed
 * to last. A refused write changed nothing, so sending it again is safe.
 */
export class LayoutRetry {
  private readonly clock: () => number;

  constructor(
    private readonly waiter: () => LayoutWaiter | null,
    private readonly options: LayoutRetryOptions = { maxWaitMs: 10_000 },
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** `work` routes by the current layout each time it is called; `shardOf` names the shard of the last attempt for the error. */
  async run<T>(work: () => Promise<T>, shardOf: () => number, deadline?: number): Promise<T> {
    let until: number | null = null;
    for (;;) {
      try {
        return await work();
      } catch (err) {
        if (!isLayoutRefusal(err)) throw err;
        until ??= Math.min(this.clock() + this.options.maxWaitMs, deadline ?? Infinity);
        const waiter = this.waiter();
        if (!waiter || this.clock() >= until) {
          throw new ShardUnavailableError(shardOf(), 'writes refused while the shard layout changes', { cause: err });
        }
        await waiter.waitForLayout(until);
      }
    }
  }
}
