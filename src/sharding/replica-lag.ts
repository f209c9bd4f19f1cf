/** How far a replica is behind its primary, as last measured. */
export interface ReplicaLag {
  /** Seconds of replay behind the primary; 0 when everything received is replayed. */
  readonly seconds: number;
  /** WAL bytes between the primary's current position and the replica's replay position; null when unknown. */
  readonly bytes: number | null;
}

/** What one health probe of a node saw (one statement, so the fields agree with each other). */
export interface NodeProbe {
  /** `pg_is_in_recovery()`: true on a streaming replica. */
  readonly inRecovery: boolean;
  /** A primary's timeline (from its current WAL file name); a standby's received timeline, or its last checkpoint's. */
  readonly timeline: number;
  /** `pg_control_system().system_identifier`, as text. */
  readonly systemIdentifier: string;
  /** Primary: `pg_current_wal_lsn()`. Replica: `pg_last_wal_replay_lsn()`. */
  readonly lsn: string | null;
  /** Replica only: seconds since the last replayed transaction, or 0 when replay has caught up with receipt. */
  readonly replayLagSeconds: number | null;
}

/** `16/B374D848` → 0x16B374D848. Throws on anything else. */
export function parseLsn(lsn: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!match) throw new Error(`not a PostgreSQL LSN: ${JSON.stringify(lsn)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/**
 * The replica's lag from its probe and the primary's WAL position seen in the
 * same round. Bytes are null when either position is unknown (primary down);
 * a replica ahead of a stale primary reading counts as 0, never negative.
 */
export function computeReplicaLag(replica: Pick<NodeProbe, 'lsn' | 'replayLagSeconds'>, primaryLsn: string | null): ReplicaLag {
  const seconds = Math.max(0, replica.replayLagSeconds ?? 0);
  let bytes: number | null = null;
  if (replica.lsn !== null && primaryLsn !== null) {
    const diff = parseLsn(primaryLsn) - parseLsn(replica.lsn);
    bytes = diff > 0n ? Number(diff) : 0;
  }
  return { seconds, bytes };
}
