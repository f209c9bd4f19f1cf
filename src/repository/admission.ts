import { ShardOverloadedError } from './errors.js';
import { StatementAbandoned } from './within-deadline.js';

/** Gives the permit back; idempotent. */
export type Release = () => void;

interface Waiter {
  readonly grant: (release: Release) => void;
  readonly refuse: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Admission to one node's pool: as many permits as the pool has connections,
 * and a bounded FIFO of statements waiting for one. Holding a permit before
 * asking the pool means the pool itself never queues, so a pool error is
 * always about connecting to the node (a node failure), while waiting here
 * is only pressure: a full queue or a wait that lasts too long fails with
 * SHARD_OVERLOADED and never marks the node unhealthy.
 */
export class NodeAdmission {
  private active = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    private readonly shardId: number,
    private readonly permits: number,
    private readonly queueMax: number,
  ) {}

  /** Statements waiting for a permit now. */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * A permit at once when one is free; else a place in the queue for at most
   * `waitMs`; else SHARD_OVERLOADED. A wait that runs out fails with
   * `expired()` when given (the caller knows when something other than the
   * queue set the limit, e.g. the request's deadline), else SHARD_OVERLOADED.
   * A wait that `signal` ends (the read moved to another node) leaves the
   * queue with StatementAbandoned.
   */
  acquire(waitMs: number, expired?: () => Error, signal?: AbortSignal): Promise<Release> {
    if (this.active < this.permits && this.waiters.length === 0) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.queueMax) {
      return Promise.reject(new ShardOverloadedError(this.shardId, `${this.waiters.length} statements already wait for a connection`));
    }
    if (signal?.aborted) return Promise.reject(new StatementAbandoned(signal.reason));
    return new Promise<Release>((resolve, reject) => {
      const leave = (err: Error) => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        clearTimeout(waiter.timer);
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      };
      const onAbort = () => leave(new StatementAbandoned(signal?.reason));
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        refuse: (err) => leave(err),
        timer: undefined,
      };
      waiter.timer = setTimeout(
        () => leave(expired ? expired() : new ShardOverloadedError(this.shardId, `no free connection within ${waitMs} ms`)),
        waitMs,
      );
      waiter.timer.unref?.();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Refuses everyone waiting (shutdown). */
  refuseAll(err: Error): void {
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.refuse(err);
    }
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) {
        // The permit passes straight to the next waiter: `active` is unchanged.
        clearTimeout(next.timer);
        next.grant(this.releaser());
      } else {
        this.active--;
      }
    };
  }
}
