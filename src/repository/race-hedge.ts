/**
 * A read refused a hedge at its delay asks once more at this many times its
 * delay: by then it is far out in the tail (a straggler, not noise), and the
 * budget keeps a reserve for it (see HedgeBudget).
 */
export const LATE_HEDGE_FACTOR = 2;

/** Why the losing copy of a hedged read is aborted: the other copy answered first. */
export class RaceLost extends Error {
  override readonly name = 'RaceLost';
}

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
    // Made only when a hedge goes out: most reads are answered before the
    // delay, and an AbortController with its abort (an Error and an event
    // dispatch) costs tens of microseconds per read on a busy core.
    let hedgeControl: AbortController | null = null;
    let settled = false;
    let hedgeFailed = false;
    let firstError: { error: unknown } | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (winner: HedgeWinner) => {
      settled = true;
      clearTimeout(timer);
      if (hedgeControl) race.onHedged?.(winner);
    };
    const win = (winner: 'first' | 'hedge', value: T) => {
      if (settled) return;
      finish(winner);
      // The loser is aborted only when it was sent: a hedge never sent has no one listening.
      if (winner === 'hedge') firstControl.abort(new RaceLost('the hedge answered'));
      else hedgeControl?.abort(new RaceLost('the first copy answered'));
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
      const control = new AbortController();
      const copy = race.hedge(control.signal, late);
      if (!copy) {
        if (!late) timer = setTimeout(ask, race.delayMs! * (LATE_HEDGE_FACTOR - 1), true);
        return;
      }
      hedgeControl = control;
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
        if (!hedgeControl || hedgeFailed) lose(error);
      },
    );
  });
}
