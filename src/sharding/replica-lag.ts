import type { NodeProbe } from './node-probe.js';

/** How far a replica is behind its primary, as last measured. */
export interface ReplicaLag {
  /**
   * Seconds of replay behind the primary: 0 when nothing is left to replay,
   * null when it cannot be known (never a guess from idleness).
   */
  readonly seconds: number | null;
  /** WAL bytes between the primary's current position and the replica's replay position; null when unknown. */
  readonly bytes: number | null;
}

/** `16/B374D848` → 0x16B374D848. Throws on anything else. */
export function parseLsn(lsn: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!match) throw new Error(`not a PostgreSQL LSN: ${JSON.stringify(lsn)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/**
 * A replica's lag from its probe and the primary's WAL position seen in the
 * same round (null when the primary did not answer), or null when the
 * replica replays nothing.
 *
 * "Seconds since the last replayed transaction" is lag only while there is
 * something left to replay: on an idle primary, or for a replica restarted
 * after a long stop, that age measures how long nobody wrote. So:
 * - replayed as far as the primary's current position: 0, whatever that age;
 * - streaming, and everything received is replayed: 0 (what is not yet
 *   received is in flight: the bytes say how much);
 * - not streaming and the primary's position unknown: unknown (null);
 * - otherwise (WAL received but not replayed, or the primary is further on
 *   while the replica streams from nobody): the age of the last replayed
 *   transaction, an upper bound of the real lag.
 * Bytes are null when either position is unknown, and never negative (a
 * replica ahead of a stale primary reading is caught up).
 */
export function decideReplicaLag(
  replica: Pick<NodeProbe, 'lsn' | 'receiveLsn' | 'streaming' | 'lastReplayAgeSeconds'>,
  primaryLsn: string | null,
): ReplicaLag | null {
  if (replica.lsn === null) return null;
  const replay = parseLsn(replica.lsn);
  const primary = primaryLsn === null ? null : parseLsn(primaryLsn);
  const bytes = primary === null ? null : primary > replay ? Number(primary - replay) : 0;
  if (bytes === 0) return { seconds: 0, bytes: 0 };
  const received = replica.receiveLsn === null ? null : parseLsn(replica.receiveLsn);
  const pending = received !== null && received > replay;
  if (!pending && replica.streaming) return { seconds: 0, bytes };
  if (!pending && primary === null) return { seconds: null, bytes: null };
  const age = replica.lastReplayAgeSeconds;
  return { seconds: age === null ? null : Math.max(0, age), bytes };
}
