/**
 * The reads of one request that may still bring more parents for a nested
 * batch (users by id, `users` pages, orders by id, `orders` pages). A
 * nested batch (`User.orders`) waits until none is in flight before it is
 * sent, so that users reached by different paths of one operation (`user`,
 * `usersByIds`, a `users` page, `_entities`), which arrive at different
 * moments, still share one statement per shard. Nested batches do not wait
 * for each other, so nothing waits for itself. Per request.
 */
export class PendingReads {
  private pending = 0;
  private waiters: (() => void)[] = [];
  private scheduled = false;

  /** Counts `work` as in flight until it settles. */
  track<T>(work: Promise<T>): Promise<T> {
    this.pending++;
    return work.finally(() => {
      this.pending--;
      if (this.pending === 0) this.flushSoon();
    });
  }

  /**
   * Calls `dispatch` once no tracked read is in flight, checked after the
   * resolvers that the last one released have run (and queued their own
   * loads, which may start new tracked reads).
   */
  whenIdle(dispatch: () => void): void {
    this.waiters.push(dispatch);
    this.flushSoon();
  }

  private flushSoon(): void {
    if (this.scheduled || this.waiters.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.pending > 0) return;
      const waiters = this.waiters;
      this.waiters = [];
      for (const dispatch of waiters) dispatch();
    });
  }
}
