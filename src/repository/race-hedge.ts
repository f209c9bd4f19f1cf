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
    const hedgeControl = new AbortController();
    let settled = false;
    let hedged = false;
    let hedgeFailed = false;
    let firstError: { error: unknown } | null = null;
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
    const timer =
      race.delayMs === null
        ? undefined
        : setTimeout(() => {
            if (settled || firstError) return;
            const copy = race.hedge(hedgeControl.signal);
            if (!copy) return;
            hedged = true;
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
        if (!hedged || hedgeFailed) lose(error);
      },
    );
  });
}
