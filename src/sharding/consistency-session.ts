import { encodeToken, mergeTokens, type ConsistencyToken, type ShardPosition } from './consistency-token.js';

/**
 * One request's read-your-writes state: the positions its client has seen
 * (the token it sent) and the positions of the writes it made. Reads of a
 * shard in the token must see at least that position; the response carries
 * everything merged, for the client's next request.
 */
export class ConsistencySession {
  private written: ConsistencyToken = [];
  private wanted: ReadonlyMap<number, ShardPosition>;

  constructor(
    private readonly carried: ConsistencyToken,
    /** How long a read may wait for a replica to catch up before it goes to the primary. */
    readonly waitMs: number,
  ) {
    this.wanted = new Map(carried.map((p) => [p.shardId, p]));
  }

  /** The position a read of `shardId` must see, or null when the token does not name the shard. */
  positionFor(shardId: number): ShardPosition | null {
    return this.wanted.get(shardId) ?? null;
  }

  /** A write of this request: later reads in it must see it too, and the response hands it back. */
  recordWrite(position: ShardPosition): void {
    this.written = mergeTokens(this.written, [position]);
    this.wanted = new Map(mergeTokens(this.carried, this.written).map((p) => [p.shardId, p]));
  }

  /** The token for the response: what was carried merged with what was written; null when neither. */
  outgoing(): string | null {
    const merged = mergeTokens(this.carried, this.written);
    return merged.length === 0 ? null : encodeToken(merged);
  }
}
