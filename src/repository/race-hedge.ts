/**
 * A read refused a hedge at its delay asks once more at this many times its
 * delay: by then it is far out in the tail (a straggler, not noise), and the
 * budget keeps a reserve for it (see HedgeBudget).
 */
export const LATE_HEDGE_FACTOR = 2;

/** Which copy of a hedged read answered: the first, the hedge, or neither (both failed). */
export type HedgeWinner = 'first' | 'hedge' | null;

export interface HedgeRace<T> {
  /** Sends the read to its first node; `signal` aborts when the hedge answers first. */
  first(signal: AbortSignal): Promise<T>;
  /** How long the first copy has before a hedge is considered; null: never. */
  readonly delayMs: number | null;
  /**
   * Sends the read once more to another node, once the delay passed with no
   * answer; null when it may not go (no hedge budget left for it). Asked at
   * the delay (`late` false) and, when refused then, once more at
   * LATE_HEDGE_FACTOR times the delay (`late` true). `signal` aborts when
   * the first copy answers first.
   */
  hedge(signal: AbortSignal, late: boolean): Promise<T> | null;
  /** Told once, when a hedge went out, which copy answered. */
  onHedged?(winner: HedgeWinner): void;
}

/**
 * A read raced against its hedge. The first answer wins and the other copy's
 * signal aborts (the caller cancels it on its server). A copy that fails
 * leaves the other to answer; when both fail, the first copy's error is
 * thrown (the hedge was extra). A first copy that fails before the delay
 * sends no hedge: the caller's failover to the next node takes over. At most
 * one hedge goes out, and at most two timers are armed, one after the other.
 */
export function raceHedge<T>(race: HedgeRace<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const firstControl = new AbortController();
    const hedgeControl = new AbortController();
    let settled = false;
    let hedged = false;
    let hedgeFailed = false;
    let firstError: { error: unknown } | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (winner: HedgeWinner) => {
      settled = true;
      clearTimeout(timer);
      if (hedged) race.onHedged?.(winner);
    };
    const win = (winner: 'first' | 'hedge', value: T) => {
      if (settled) return;
      finish(winner);
      (winner === 'first' ? hedgeControl : firstControl).abort(
        new Error(winner === 'first' ? 'the first copy answered' : 'the hedge answered'),
      );
      resolve(value);
    };
    const lose = (error: unknown) => {
      if (settled) return;
      finish(null);
      reject(error);
    };
    const ask = (late: boolean) => {
      timer = undefined;
      if (settled || firstError) return;
      const copy = race.hedge(hedgeControl.signal, late);
      if (!copy) {
        if (!late) timer = setTimeout(ask, race.delayMs! * (LATE_HEDGE_FACTOR - 1), true);
        return;
      }
      hedged = true;
      copy.then(
        (value) => win('hedge', value),
        () => {
          hedgeFailed = true;
          if (firstError) lose(firstError.error);
        },
      );
    };
    if (race.delayMs !== null) timer = setTimeout(ask, race.delayMs, false);
    race.first(firstControl.signal).then(
      (value) => win('first', value),
      (error: unknown) => {
        firstError = { error };
        clearTimeout(timer);
        if (!hedged || hedgeFailed) lose(error);
      },
    );
  });
}
