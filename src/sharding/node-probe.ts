/**
 * What one probe of a node says about itself: the one observation the gateway's
 * health checker, `cluster status` and `cluster failover` decide roles and lag
 * from. The SQL is text, not a connection: whoever holds one (the repository's
 * door, the dev cluster's admin connection) sends it and hands the row to
 * `nodeProbeFromRow`.
 */
export interface NodeProbe {
  /** `pg_is_in_recovery()`: true on a standby (or a node still replaying after a crash). */
  readonly inRecovery: boolean;
  /**
   * A primary's timeline (from its current WAL file name); a standby's
   * received one, or its last restartpoint's when it streams from nobody.
   */
  readonly timeline: number;
  /** `pg_control_system().system_identifier`, as text: equal on every node cloned from one initdb. */
  readonly systemIdentifier: string;
  /** Primary: `pg_current_wal_lsn()`. Standby: `pg_last_wal_replay_lsn()` (null when it replays nothing). */
  readonly lsn: string | null;
  /** Standby only: `pg_last_wal_receive_lsn()`, null when no WAL was streamed since it started. */
  readonly receiveLsn: string | null;
  /** Standby only: its WAL receiver streams from a primary right now. */
  readonly streaming: boolean;
  /** Standby only: seconds since the last replayed transaction committed on its primary; null when none was replayed. */
  readonly lastReplayAgeSeconds: number | null;
}

/** The part of a probe that decides roles (see decide-shard-roles.ts). */
export type RoleObservation = Pick<NodeProbe, 'inRecovery' | 'timeline' | 'systemIdentifier'>;

// One statement, so that role, timeline and positions describe one moment
// (recovery is read once: a promotion in the middle must not mix the two forms).
// Timeline: a primary's is the first 8 hex digits of its current WAL file; a
// standby's is the one its WAL receiver gets, or its last restartpoint's when
// it streams from nobody (its primary is gone). The lag itself is decided
// from these positions and the primary's (replica-lag.ts), not here: the age
// of the last replayed transaction alone measures idleness as much as lag.
export const NODE_PROBE_SQL = `WITH s AS MATERIALIZED (SELECT pg_is_in_recovery() AS r)
   SELECT s.r AS in_recovery,
          (SELECT system_identifier::text FROM pg_control_system()) AS system_identifier,
          CASE WHEN s.r THEN COALESCE((SELECT received_tli FROM pg_stat_wal_receiver), (SELECT timeline_id FROM pg_control_checkpoint()))
               ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS timeline,
          CASE WHEN s.r THEN pg_last_wal_replay_lsn()::text ELSE pg_current_wal_lsn()::text END AS lsn,
          CASE WHEN s.r THEN pg_last_wal_receive_lsn()::text END AS receive_lsn,
          s.r AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') AS streaming,
          CASE WHEN s.r THEN extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END AS last_replay_age_seconds
   FROM s`;

/** A row of NODE_PROBE_SQL, as pg returns it. */
export interface NodeProbeRow {
  readonly in_recovery: boolean;
  readonly system_identifier: string;
  readonly timeline: number | string;
  readonly lsn: string | null;
  readonly receive_lsn: string | null;
  readonly streaming: boolean | null;
  readonly last_replay_age_seconds: number | null;
}

export function nodeProbeFromRow(row: NodeProbeRow): NodeProbe {
  return {
    inRecovery: row.in_recovery,
    timeline: Number(row.timeline),
    systemIdentifier: row.system_identifier,
    lsn: row.lsn,
    receiveLsn: row.receive_lsn,
    streaming: row.streaming === true,
    lastReplayAgeSeconds: row.last_replay_age_seconds,
  };
}

/**
 * A probe that ran out of time (its connect or its statement) rather than
 * being refused: the node may be stopped, or only slow (see judgeMiss).
 */
export class ProbeTimedOut extends Error {
  constructor(
    message: string,
    /** When the probe began (ms, from the injected clock). */
    readonly startedAt: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ProbeTimedOut';
  }
}
