import type pg from 'pg';

/** The time given to a connection wait or a statement ran out; the caller turns it into SHARD_TIMEOUT. */
export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
  constructor(readonly phase: 'connect' | 'statement') {
    super(`deadline exceeded while ${phase === 'connect' ? 'waiting for a connection' : 'running a statement'}`);
  }
}

/**
 * The caller gave up on a statement before its deadline (`signal` aborted):
 * a hedged read whose other copy answered first, or a read of a node that
 * just missed a health probe. `reason` is the signal's.
 */
export class StatementAbandoned extends Error {
  override readonly name = 'StatementAbandoned';
  constructor(readonly reason: unknown) {
    super(`statement abandoned: ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}

/**
 * A pooled connection within `ms`. pg-pool cannot withdraw a request, so a
 * connection that arrives after the deadline (or after `signal` aborted) is
 * handed straight back; `afterLate` runs once such a late request has settled
 * either way (the caller's admission permit is held until then, so the pool
 * never has more requests than permits).
 */
export function connectWithin(pool: pg.Pool, ms: number, afterLate: () => void = () => {}, signal?: AbortSignal): Promise<pg.PoolClient> {
  return new Promise((resolve, reject) => {
    let late = false;
    const giveUp = (err: Error) => {
      if (late) return;
      late = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    };
    const onAbort = () => giveUp(new StatementAbandoned(signal?.reason));
    const timer = ms === Number.POSITIVE_INFINITY ? undefined : setTimeout(() => giveUp(new DeadlineExceeded('connect')), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    pool.connect().then(
      (client) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (!late) return resolve(client);
        client.release();
        afterLate();
      },
      (err: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (!late) return reject(err);
        afterLate();
      },
    );
  });
}

/**
 * `work` (statements on one connection) within `ms`, or until `signal`
 * aborts. Either way `onGiveUp` runs (it asks the server to cancel) and the
 * promise rejects at once with DeadlineExceeded or StatementAbandoned; the
 * connection then holds a statement in flight, so the caller must not reuse
 * it before `work` has settled (see reclaim-connection.ts).
 */
export function runWithin<T>(work: Promise<T>, ms: number, onGiveUp: () => void, signal?: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    let gaveUp = false;
    const giveUp = (err: Error) => {
      if (gaveUp) return;
      gaveUp = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      onGiveUp();
      reject(err);
    };
    const onAbort = () => giveUp(new StatementAbandoned(signal?.reason));
    const timer = ms === Number.POSITIVE_INFINITY ? undefined : setTimeout(() => giveUp(new DeadlineExceeded('statement')), ms);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (!gaveUp) resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (!gaveUp) reject(err);
      },
    );
  });
}
