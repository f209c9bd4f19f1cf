/** Hedged reads: when a read goes to a second node of its shard, and how many may. */
export interface HedgeOptions {
  /**
   * How long a read waits before it is sent once more to another node:
   * `auto` (the node's recent p95 statement latency, at least 2 ms) or a
   * fixed number of milliseconds. @default 'auto'
   */
  readonly afterMs: number | 'auto';
  /** At most this share of hedgeable reads is hedged (a token bucket); 0 turns hedging off. @default 5 */
  readonly budgetPercent: number;
}

export const DEFAULT_HEDGE_OPTIONS: HedgeOptions = Object.freeze({ afterMs: 'auto', budgetPercent: 5 });
