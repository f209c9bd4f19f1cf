import { sqlStateOf } from './classify-error.js';

/**
 * Whether a connection whose statement was given up on (deadline, a lost
 * hedge, a suspect node) and cancelled is fit to go back to its pool, once
 * both have settled: the statement (`work`) and the cancel request
 * (`cancelDone`, which resolves once the server has closed the cancel
 * connection, i.e. has signalled the backend). Only then can a late cancel
 * not hit the next statement on the connection.
 *
 * Fit: the statement answered, or PostgreSQL refused it with a SQLSTATE
 * that leaves the session alive (57014 "canceled" above all). Broken: no
 * answer (a query read timeout, a socket error), or a SQLSTATE that ends
 * the session (08 connection exception, 57P01..57P05 shutdown, crash,
 * idle-session). Reusing fit connections is what keeps a client with a 1 ms
 * deadline from opening a new session per request.
 */
export async function reclaimable(work: Promise<unknown>, cancelDone: Promise<unknown>): Promise<boolean> {
  const [outcome] = await Promise.allSettled([work, cancelDone]);
  if (outcome.status === 'fulfilled') return true;
  const sqlState = sqlStateOf(outcome.reason);
  if (sqlState === undefined) return false;
  return !sqlState.startsWith('08') && !sqlState.startsWith('57P');
}
