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
import { DeadlineExceeded, runWithin } from './within-deadline.js';

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
   * what remains of the deadline. When time runs out the server is asked to
   * cancel the statement, so PostgreSQL stops working on it.
   */
  async send<R extends object>(
    client: pg.PoolClient,
    target: NodeTarget,
    stmt: Statement,
    params: readonly unknown[],
    scope?: RequestScope,
    withPosition = false,
  ): Promise<Sent<R>> {
    // A connection found dead before the statement went out (a node that just
    // crashed, its pooled connections not yet dropped): the statement was never sent.
    const dead = connectionErrorOf(client);
    if (dead) throw this.unavailable(target, dead, 'not-sent');
    const ms = remaining(scope?.deadline, this.clock());
    if (ms <= 0) throw new ShardTimeoutError(target.node.shardId, 'deadline passed before the statement was sent');
    try {
      const config: pg.QueryConfig =
        stmt.prepare === false
          ? { text: stmt.text, values: params as unknown[] }
          : { name: stmt.name, text: stmt.text, values: params as unknown[] };
      // Queued in this order on the connection: the position is read after the write has committed.
      const write = client.query<R>(config);
      const position = withPosition ? client.query<PositionRow>({ name: WAL_POSITION.name, text: WAL_POSITION.text }) : null;
      // Settled either way, so that a failed write never leaves an unhandled rejection behind.
      const work = Promise.all([write, position?.catch(() => null) ?? null]);
      const [result, positionResult] =
        ms === Number.POSITIVE_INFINITY ? await work : await runWithin(work, ms, () => this.cancel(target, client));
      const after = positionResult ? this.positionOf(target, positionResult.rows[0]) : null;
      return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length, ...(after ? { position: after } : {}) };
    } catch (err) {
      if (err instanceof DeadlineExceeded) throw new ShardTimeoutError(target.node.shardId, `${target.node.id}: ${err.message}`);
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

  /** Asks the node to cancel what `client`'s backend runs; the outcome is only logged. */
  private cancel(target: NodeTarget, client: pg.PoolClient): void {
    const { processID, secretKey } = client as unknown as { processID: number | null; secretKey: number | null };
    if (processID === null || secretKey === null) return;
    const { host, port } = target.node.config;
    void sendCancelRequest(host, port, processID, secretKey, 1_000).then((sent) => {
      if (!sent) this.log('could not send a cancel request', { node: target.node.id, pid: processID });
    });
  }
}
