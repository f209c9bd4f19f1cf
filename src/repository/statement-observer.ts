import type { NodeTarget } from '../sharding/node-target.js';
import type { RequestScope } from './request-scope.js';
import type { Statement } from './statement.js';

export interface StatementEvent {
  readonly target: NodeTarget;
  readonly statement: Statement;
  /** Keys sent in one batched statement (a DataLoader batch), when it is one. */
  readonly batchSize?: number;
  /** True for the second copy of a hedged read. */
  readonly hedge?: boolean;
  /** The request the statement is sent for; absent outside requests (migrations, seeding, probes' repairs). */
  readonly scope?: RequestScope;
}

export interface StatementOutcome {
  /** Rows returned or affected; null when it failed. */
  readonly rowCount: number | null;
  /** Set when the statement failed. */
  readonly error?: unknown;
  readonly sqlState?: string;
  /**
   * `ok`, `error` (refused by PostgreSQL), `unavailable` (the node could not
   * serve), `timeout` (the request's deadline passed) or `overloaded` (shed
   * before it was sent: too many waited for the node) or `cancelled` (the
   * gateway gave up on it: the other copy of a hedged read answered first,
   * or its node missed a probe and the read moved on).
   */
  readonly outcome: 'ok' | 'error' | 'unavailable' | 'timeout' | 'overloaded' | 'cancelled';
}

/**
 * Sees every statement that passes the door: spans, metrics, and the
 * statement counter the tests use to prove batching hang here, so no caller
 * can forget them. `onStart` returns the function to call when it ends.
 */
export interface StatementObserver {
  onStart(event: StatementEvent): ((outcome: StatementOutcome) => void) | undefined;
  /** A hedged read of `shardId` settled: `won` when the hedge answered first, `lost` otherwise. */
  onHedge?(shardId: number, outcome: 'won' | 'lost'): void;
}
