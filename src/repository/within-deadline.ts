import type pg from 'pg';

/** The time given to a connection wait or a statement ran out; the caller turns it into SHARD_TIMEOUT. */
export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
  constructor(readonly phase: 'connect' | 'statement') {
    super(`deadline exceeded while ${phase === 'connect' ? 'waiting for a connection' : 'running a statement'}`);
  }
}

/**
 * A pooled connection within `ms`. pg-pool cannot withdraw a request, so a
 * connection that arrives after the deadline is handed straight back;
 * `afterLate` runs once such a late request has settled either way (the
 * caller's admission permit is held until then, so the pool never has more
 * requests than permits).
 */
export function connectWithin(pool: pg.Pool, ms: number, afterLate: () => void = () => {}): Promise<pg.PoolClient> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new DeadlineExceeded('connect'));
    }, ms);
    pool.connect().then(
      (client) => {
        clearTimeout(timer);
        if (!late) return resolve(client);
        client.release();
        afterLate();
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (!late) return reject(err);
        afterLate();
      },
    );
  });
}

/**
 * `work` (statements on one connection) within `ms`. When time runs out,
 * `onExpired` runs (it asks the server to cancel) and the promise rejects at
 * once with DeadlineExceeded; the connection then holds a statement in
 * flight, so the caller must destroy it rather than reuse it.
 */
export function runWithin<T>(work: Promise<T>, ms: number, onExpired: () => void): Promise<T> {
  return new Promise((resolve, reject) => {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      onExpired();
      reject(new DeadlineExceeded('statement'));
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        if (!expired) resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (!expired) reject(err);
      },
    );
  });
}
