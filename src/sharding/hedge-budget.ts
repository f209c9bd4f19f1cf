/** Hedges that may go out at once after a quiet spell, beyond the share earned. */
export const HEDGE_BURST = 10;
/**
 * Hedges kept back for late reads. A hedge delay at a node's p95 makes 5%
 * of reads "slow" by definition, so at the default 5% budget reads that are
 * merely slowish would take every hedge, first come first served, and a
 * straggler (a read ten times later) would find the budget empty. Reads
 * at their first delay may only take a hedge above this reserve; a read
 * still unanswered at LATE_HEDGE_FACTOR times its delay may take the last.
 */
export const HEDGE_RESERVE = 1;

/**
 * How many reads may be hedged: a token bucket that every hedgeable read
 * fills by `percent / 100` of a token (up to HEDGE_BURST) and every hedge
 * empties by one. Over any stretch of traffic, hedges ≤ percent% of the
 * hedgeable reads + HEDGE_BURST, so a slow cluster (where every read would
 * want a hedge) gets at most that much more load, never twice its load.
 * `percent` 0 never hedges. Pure and synchronous: no clock, the reads are the clock.
 * Late reads are served first: see HEDGE_RESERVE.
 */
export class HedgeBudget {
  private tokens: number;
  private readonly earn: number;

  constructor(readonly percent: number) {
    this.earn = Math.max(0, Math.min(100, percent)) / 100;
    // One hedge is available from the start (when hedging is on), so a fresh gateway is not defenceless against a straggler.
    this.tokens = this.earn > 0 ? 1 : 0;
  }

  get enabled(): boolean {
    return this.earn > 0;
  }

  /** A hedgeable read was sent: it earns its share of a hedge. */
  onRead(): void {
    if (this.earn > 0) this.tokens = Math.min(HEDGE_BURST, this.tokens + this.earn);
  }

  /**
   * Takes one hedge when the budget has one for this read; false otherwise
   * (the read waits for its first node). A read at its first hedge delay
   * (`late` false) leaves HEDGE_RESERVE hedges for late ones.
   */
  tryTake(late = true): boolean {
    if (this.tokens < 1 + (late ? 0 : HEDGE_RESERVE)) return false;
    this.tokens -= 1;
    return true;
  }
}
