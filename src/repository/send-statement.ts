import type pg from 'pg';
import { positionFromPg, type ShardPosition } from '../sharding/consistency-token.js';
import type { NodeTarget } from '../sharding/node-target.js';
import { classifyFailure, deliveryOfFailure } from './classify-error.js';
import { remaining } from './deadline.js';
import { ShardTimeoutError, SqlError, type Delivery, type ShardUnavailableError } from './errors.js';
import { connectionErrorOf } from './node-pool.js';
import type { RequestScope } from './request-scope.js';
import { sendCancelRequest } from './send-cancel-request.js';
import type { Statement } from './statement.js';
import { WAL_POSITION, type PositionRow } from './wal-position.js';
import { abandonedError, leaveInFlight } from './given-up.js';
import { reclaimable } from './reclaim-connection.js';
import { DeadlineExceeded, runWithin, StatementAbandoned } from './within-deadline.js';
import { cancelAfterGrace, LOST_RACE_GRACE_MS } from './cancel-after-grace.js';
import { RaceLost } from './race-hedge.js';

/** What one statement returned, and (for a write with a session) the primary's WAL position right after it. */
export interface Sent<R> {
  readonly rows: R[];
  readonly rowCount: number;
  readonly position?: ShardPosition;
}

/**
 * Sends statements on checked-out connections: within the request's
 * deadline, with the server asked to cancel what runs past it, and with a
 * write's WAL position pipelined behind it.
 */
export class StatementSender {
  constructor(
    private readonly clock: () => number,
    private readonly log: (event: string, fields: Record<string, unknown>) => void,
    /** Builds (and reports) the error of a node that could not serve. */
    private readonly unavailable: (target: NodeTarget, err: unknown, delivery: Delivery) => ShardUnavailableError,
  ) {}

  /**
   * One statement (and, for a write with a session, the WAL position right
   * behind it on the same connection: pipelined, one round trip), within
   * what remains of the deadline, or until `signal` aborts (a hedge answered
   * first, the node missed a probe). Then the server is asked to cancel the
   * statement, so PostgreSQL stops working on it, and the error carries
   * whether the connection comes back fit once it settled (given-up.ts).
   */
  async send<R extends object>(
    client: pg.PoolClient,
    target: NodeTarget,
    stmt: Statement,
    params: readonly unknown[],
    scope?: RequestScope,
    withPosition = false,
    signal?: AbortSignal,
  ): Promise<Sent<R>> {
    // A connection found dead before the statement went out (a node that just
    // crashed, its pooled connections not yet dropped): the statement was never sent.
    const dead = connectionErrorOf(client);
    if (dead) throw this.unavailable(target, dead, 'not-sent');
    const ms = remaining(scope?.deadline, this.clock());
    if (ms <= 0) throw new ShardTimeoutError(target.node.shardId, 'deadline passed before the statement was sent');
    if (signal?.aborted) throw abandonedError(target, new StatementAbandoned(signal.reason), 'not-sent');
    let work: Promise<unknown> | undefined;
    let cancelDone: Promise<boolean> = Promise.resolve(false);
    try {
      const config: pg.QueryConfig =
        stmt.prepare === false
          ? { text: stmt.text, values: params as unknown[] }
          : { name: stmt.name, text: stmt.text, values: params as unknown[] };
      // Queued in this order on the connection: the position is read after the write has committed.
      const write = client.query<R>(config);
      const position = withPosition ? client.query<PositionRow>({ name: WAL_POSITION.name, text: WAL_POSITION.text }) : null;
      // Settled either way, so that a failed write never leaves an unhandled rejection behind.
      const both = Promise.all([write, position?.catch(() => null) ?? null]);
      work = both;
      const [result, positionResult] =
        ms === Number.POSITIVE_INFINITY && !signal
          ? await both
          : await runWithin(both, ms, () => (cancelDone = this.cancelAbandoned(target, client, both, signal)), signal);
      const after = positionResult ? this.positionOf(target, positionResult.rows[0]) : null;
      return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length, ...(after ? { position: after } : {}) };
    } catch (err) {
      if (err instanceof DeadlineExceeded || err instanceof StatementAbandoned) {
        const failure =
          err instanceof DeadlineExceeded
            ? new ShardTimeoutError(target.node.shardId, `${target.node.id}: ${err.message}`)
            : abandonedError(target, err, 'unknown');
        // Cancelled on the server: the connection is kept if the statement comes back canceled (or answered) and the cancel request is done.
        if (work) leaveInFlight(failure, reclaimable(work, cancelDone));
        throw failure;
      }
      const failure = classifyFailure(err);
      if (failure.kind === 'sql') throw new SqlError(failure.sqlState, stmt.name, { cause: err });
      throw this.unavailable(target, err, deliveryOfFailure(err, withPosition));
    }
  }

  /** The position a write's follow-up statement returned; null (logged) when it is not one. */
  private positionOf(target: NodeTarget, row: PositionRow | undefined): ShardPosition | null {
    try {
      if (!row?.lsn || row.timeline === null) throw new Error('no position');
      return positionFromPg(target.node.shardId, { lsn: row.lsn, timeline: row.timeline, system_identifier: row.system_identifier });
    } catch (err) {
      this.log('no WAL position after a write', { node: target.node.id, error: (err as Error).message });
      return null;
    }
  }

  /**
   * The cancel of a statement given up on: at once past the deadline or for
   * a suspect node; for the losing copy of a hedged read only if it has not
   * finished on its own within LOST_RACE_GRACE_MS.
   */
  private cancelAbandoned(target: NodeTarget, client: pg.PoolClient, work: Promise<unknown>, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted && signal.reason instanceof RaceLost)
      return cancelAfterGrace(work, LOST_RACE_GRACE_MS, () => this.cancel(target, client));
    return this.cancel(target, client);
  }

  /** Asks the node to cancel what `client`'s backend runs; the outcome is only logged. */
  private cancel(target: NodeTarget, client: pg.PoolClient): Promise<boolean> {
    const { processID, secretKey } = client as unknown as { processID: number | null; secretKey: number | null };
    if (processID === null || secretKey === null) return Promise.resolve(false);
    const { host, port } = target.node.config;
    return sendCancelRequest(host, port, processID, secretKey, 1_000).then((sent) => {
      if (!sent) this.log('could not send a cancel request', { node: target.node.id, pid: processID });
      return sent;
    });
  }
}
