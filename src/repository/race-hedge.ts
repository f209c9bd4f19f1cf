/** Which copy of a hedged read answered: the first, the hedge, or neither (both failed). */
export type HedgeWinner = 'first' | 'hedge' | null;

export interface HedgeRace<T> {
  /** Sends the read to its first node; `signal` aborts when the hedge answers first. */
  first(signal: AbortSignal): Promise<T>;
  /** How long the first copy has before a hedge is considered; null: never. */
  readonly delayMs: number | null;
  /**
   * Sends the read once more to another node, once the delay passed with no
   * answer; null when it may not go (no hedge budget left). `signal` aborts
   * when the first copy answers first.
   */
  hedge(signal: AbortSignal): Promise<T> | null;
  /** Told once, when a hedge went out, which copy answered. */
  onHedged?(winner: HedgeWinner): void;
}

/**
 * A read raced against its hedge. The first answer wins and the other copy's
 * signal aborts (the caller cancels it on its server). A copy that fails
 * leaves the other to answer; when both fail, the first copy's error is
 * thrown (the hedge was extra). A first copy that fails before the delay
 * sends no hedge: the caller's failover to the next node takes over.
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
    const finish = (winner: HedgeWinner) => {
      settled = true;
      clearTimeout(timer);
      if (hedgeControl) race.onHedged?.(winner);
    };
    const win = (winner: 'first' | 'hedge', value: T) => {
      if (settled) return;
      finish(winner);
      // The loser is aborted only when it was sent: a hedge never sent has no one listening.
      if (winner === 'hedge') firstControl.abort(new Error('the hedge answered'));
      else hedgeControl?.abort(new Error('the first copy answered'));
      resolve(value);
    };
    const lose = (error: unknown) => {
      if (settled) return;
      finish(null);
      reject(error);
    };
    const timer =
      race.delayMs === null
        ? undefined
        : setTimeout(() => {
            if (settled || firstError) return;
            const control = new AbortController();
            const copy = race.hedge(control.signal);
            if (!copy) return;
            hedgeControl = control;
            copy.then(
              (value) => win('hedge', value),
              () => {
                hedgeFailed = true;
                if (firstError) lose(firstError.error);
              },
            );
          }, race.delayMs);
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
