/** What a write does while its shard has no primary (a failover in progress, a split brain). */
export interface FailoverOptions {
  /**
   * How long a write waits for its shard to have a primary again, never past
   * the request's deadline; 0 turns buffering off (such writes fail at once).
   * Longer rides out slower failovers, at the cost of clients waiting and of
   * requests piling up in the gateway. `SHARDGATE_FAILOVER_BUFFER_MS`.
   * Shorter than the default deadline (10 s), so that a write that outwaits
   * the buffer answers SHARD_UNAVAILABLE (with the reason) before its
   * deadline would answer SHARD_TIMEOUT.
   * @default 5000
   */
  readonly bufferMs: number;
  /** Writes waiting at once in one gateway; those beyond fail at once. `SHARDGATE_FAILOVER_BUFFER_MAX`. @default 1000 */
  readonly bufferMax: number;
}

export const DEFAULT_FAILOVER_OPTIONS: FailoverOptions = Object.freeze({ bufferMs: 5_000, bufferMax: 1000 });
