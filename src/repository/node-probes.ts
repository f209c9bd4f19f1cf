import type pg from 'pg';
import { positionFromPg } from '../sharding/consistency-token.js';
import { NODE_PROBE_SQL, nodeProbeFromRow, ProbeTimedOut, type NodeProbe, type NodeProbeRow } from '../sharding/node-probe.js';
import type { NodePosition, ReplayPositions } from '../sharding/replay-positions.js';
import type { ShardNode } from '../sharding/shard.js';
import type { NodePools } from './node-pools.js';
import { readRecordedLayout, type RecordedLayout } from './read-recorded-layout.js';
import { statement } from './statement.js';
import { REPLAY_POSITION, type PositionRow } from './wal-position.js';

/** How much earlier than its bound a timed-out attempt may seem to end, measured with the wall clock. */
export const CLOCK_SLACK_MS = 2;

const PROBE = statement('shardgate_probe', 'SELECT', NODE_PROBE_SQL);

/**
 * The gateway's own questions to a node: its health probe, a standby's
 * replay position, the recorded layout. Bookkeeping, not traffic: they run on
 * the node's single-connection probe pool (a busy statement pool never looks
 * like a dead node) and are not observed (no spans, no statement metrics).
 */
export class NodeProbes {
  constructor(
    private readonly pools: NodePools,
    /** Where every probe's WAL position is recorded, for consistency tokens. */
    private readonly positions: ReplayPositions,
    private readonly clock: () => number,
    private readonly log: (event: string, fields: Record<string, unknown>) => void,
    private readonly isClosed: () => boolean,
    /** The probe pool's connect timeout: a probe may run out of time connecting before its own timeout. */
    private readonly connectTimeoutMs: number,
  ) {}

  /** One health probe of `node`; its WAL position joins the known positions. */
  async probe(node: ShardNode, timeoutMs: number): Promise<NodeProbe> {
    const pool = this.poolOf(node);
    const startedAt = this.clock();
    let result: pg.QueryResult<NodeProbeRow>;
    try {
      result = await pool.query<NodeProbeRow>({ name: PROBE.name, text: PROBE.text, query_timeout: timeoutMs } as pg.QueryConfig);
    } catch (err) {
      // Timers run on a millisecond clock of their own: allow for its rounding against the wall clock.
      throw timedOutAs(err, startedAt, this.clock() - startedAt >= Math.min(timeoutMs, this.connectTimeoutMs) - CLOCK_SLACK_MS);
    }
    const probe = nodeProbeFromRow(result.rows[0]!);
    if (probe.lsn !== null) {
      try {
        const p = positionFromPg(node.shardId, { lsn: probe.lsn, timeline: probe.timeline, system_identifier: probe.systemIdentifier });
        this.positions.record(node, { systemId: p.systemId, timeline: p.timeline, lsn: p.lsn, at: this.clock() });
      } catch (err) {
        // Token bookkeeping never fails a probe: without a position, token reads of this node go to the primary.
        this.log('unexpected WAL position', { node: node.id, error: (err as Error).message });
      }
    }
    return probe;
  }

  /** A standby's replay position now. */
  async replayPosition(node: ShardNode, timeoutMs: number): Promise<NodePosition> {
    const { rows } = await this.poolOf(node).query<PositionRow>({
      name: REPLAY_POSITION.name,
      text: REPLAY_POSITION.text,
      query_timeout: timeoutMs,
    } as pg.QueryConfig);
    const row = rows[0]!;
    if (row.lsn === null || row.timeline === null) throw new Error(`${node.id} is not replaying WAL`);
    const p = positionFromPg(node.shardId, { lsn: row.lsn, timeline: row.timeline, system_identifier: row.system_identifier });
    return { systemId: p.systemId, timeline: p.timeline, lsn: p.lsn, at: this.clock() };
  }

  /** The latest layout `shardgate reshard` recorded on `node` (a primary), or null when none was. */
  async readLayout(node: ShardNode, timeoutMs: number): Promise<RecordedLayout | null> {
    return readRecordedLayout(this.poolOf(node), timeoutMs);
  }

  /** The node's probe pool; a node removed by a reload (or a closed door) is asked nothing. */
  private poolOf(node: ShardNode): pg.Pool {
    const pool = this.pools.probePool(node);
    if (!pool || this.isClosed()) throw new Error(`${node.id} is no longer in the topology`);
    return pool;
  }
}

/**
 * A probe that failed only once one of its time bounds (connect, statement)
 * had passed ran out of time: pg's timeout errors carry no code, and an
 * error that comes that late can be nothing else, since a refused or broken
 * connection fails at once. Anything else is passed on as it is.
 */
function timedOutAs(err: unknown, startedAt: number, outOfTime: boolean): unknown {
  if (!outOfTime) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new ProbeTimedOut(`timed out: ${detail}`, startedAt, { cause: err });
}
