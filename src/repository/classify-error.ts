import pg from 'pg';
import type { Delivery } from './errors.js';

/**
 * Whether a failed statement means "this node cannot serve now" (try another
 * node, report the shard unavailable) or "PostgreSQL refused this statement"
 * (a SQLSTATE for the repository to map). Decided on the error's class and
 * codes, never on message text.
 */
export type FailureKind = { kind: 'unavailable'; detail: string } | { kind: 'sql'; sqlState: string };

/** SQLSTATEs that say the node, not the statement, is the problem. */
function isNodeLevelSqlState(code: string): boolean {
  const klass = code.slice(0, 2);
  return (
    klass === '08' || // connection exception
    klass === '28' || // invalid authorization
    klass === '53' || // insufficient resources (too many connections, disk full)
    klass === '57' || // operator intervention: shutdown, cannot connect now, statement timeout (57014)
    klass === '58' || // system error (I/O)
    code === '3D000' || // the database does not exist on this node
    code === '25006' // read-only transaction: a write reached a node that is no longer a primary
  );
}

/** The SQLSTATE of an error PostgreSQL sent (pg's DatabaseError), else undefined. */
export function sqlStateOf(err: unknown): string | undefined {
  return err instanceof pg.DatabaseError && typeof err.code === 'string' ? err.code : undefined;
}

export function classifyFailure(err: unknown): FailureKind {
  const sqlState = sqlStateOf(err);
  if (sqlState !== undefined) {
    return isNodeLevelSqlState(sqlState) ? { kind: 'unavailable', detail: `SQLSTATE ${sqlState}` } : { kind: 'sql', sqlState };
  }
  // Socket errors (ECONNREFUSED, ECONNRESET, ETIMEDOUT, ...), and pg's own
  // errors without a code: connect timeout, query read timeout, connection
  // terminated. All say the node did not answer.
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return { kind: 'unavailable', detail: code };
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'unavailable', detail: message.slice(0, 200) };
}

/** Error codes of a socket that broke or never connected. */
const SOCKET_ERRNO = /^E(CONNRESET|CONNREFUSED|CONNABORTED|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|HOSTDOWN|NETDOWN|NOTCONN|ADDRNOTAVAIL)$/;

/**
 * True for an error that says a connection was lost or refused — by its
 * socket errno code or a connection-level SQLSTATE (08 connection exception,
 * 57 operator intervention) — and nothing else. Such an error, thrown where
 * nobody caught it, leaves no state behind but a dead connection, so the
 * process may keep serving; anything else uncaught is a bug and ends it.
 */
export function isConnectionLoss(err: unknown): boolean {
  const sqlState = sqlStateOf(err);
  if (sqlState !== undefined) return sqlState.startsWith('08') || sqlState.startsWith('57');
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SOCKET_ERRNO.test(code);
}

const READ_ONLY_TRANSACTION = '25006';

/**
 * Whether a statement that failed with a node-level error can have been
 * applied. `read-only`: a standby refused it (25006), nothing was written.
 * `not-sent`: writing it to the socket failed (EPIPE or ECONNRESET from a
 * `write`, typically a pooled connection whose backend died a moment before,
 * its end not yet read). Writes go out in order and stop at the first that
 * fails, so the statement's closing Sync never left this process, and
 * PostgreSQL commits an implicit transaction only at its Sync; a broken
 * connection rolls back an explicit one. That holds only while this statement
 * is the last thing queued on the connection: with another statement
 * pipelined behind it (`followedOnWire`), the failed write may be the
 * follower's, after this statement's Sync went out. Anything else (the
 * connection ended or reset while the answer was awaited) is `unknown`.
 */
export function deliveryOfFailure(err: unknown, followedOnWire: boolean): Delivery {
  if (sqlStateOf(err) === READ_ONLY_TRANSACTION) return 'read-only';
  const { code, syscall } = (err ?? {}) as { code?: unknown; syscall?: unknown };
  if (!followedOnWire && syscall === 'write' && (code === 'EPIPE' || code === 'ECONNRESET')) return 'not-sent';
  return 'unknown';
}
