import { statement } from './statement.js';

/**
 * Where the primary's WAL stands right after a write committed, and which
 * history it is on. Sent on the write's connection right behind it, in the
 * same network round trip (the pools pipeline), so it runs after the write's
 * commit: a standby that has replayed this far has replayed the commit.
 * A position read inside the write itself (`RETURNING pg_current_wal_lsn()`)
 * would come before the commit record and let a standby that has not applied
 * the commit pass for caught up. The insert position, not the write position,
 * so that it also covers commits with synchronous_commit off.
 */
export const WAL_POSITION = statement(
  'shardgate_wal_position',
  'SELECT',
  `SELECT pg_current_wal_insert_lsn()::text AS lsn,
          ('x' || substr(pg_walfile_name(pg_current_wal_insert_lsn()), 1, 8))::bit(32)::int AS timeline,
          (SELECT system_identifier::text FROM pg_control_system()) AS system_identifier`,
);

/** A standby's replay position and history, for the short waits of token reads. */
export const REPLAY_POSITION = statement(
  'shardgate_replay_position',
  'SELECT',
  `SELECT pg_last_wal_replay_lsn()::text AS lsn,
          COALESCE((SELECT received_tli FROM pg_stat_wal_receiver), (SELECT timeline_id FROM pg_control_checkpoint())) AS timeline,
          (SELECT system_identifier::text FROM pg_control_system()) AS system_identifier`,
);

export interface PositionRow {
  lsn: string | null;
  timeline: number | null;
  system_identifier: string;
}
