/** Hedges that may go out at once after a quiet spell, beyond the share earned. */
export const HEDGE_BURST = 10;

/**
 * How many reads may be hedged: a token bucket that every hedgeable read
 * fills by `percent / 100` of a token (up to HEDGE_BURST) and every hedge
 * empties by one. Over any stretch of traffic, hedges ≤ percent% of the
 * hedgeable reads + HEDGE_BURST, so a slow cluster (where every read would
 * want a hedge) gets at most that much more load, never twice its load.
 * `percent` 0 never hedges. Pure and synchronous: no clock, the reads are the clock.
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

  /** Takes one hedge when the budget has one; false otherwise (the read waits for its first node). */
  tryTake(): boolean {
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
