import { describe, expect, it, vi } from 'vitest';
import { LATE_HEDGE_FACTOR, raceHedge, type HedgeWinner } from './race-hedge.js';

/** A copy that answers (or fails) after `ms`, and says whether it was aborted. */
function copy<T>(ms: number, outcome: { value: T } | { error: Error }) {
  const state = { aborted: false, started: false };
  const run = (signal: AbortSignal) => {
    state.started = true;
    signal.addEventListener('abort', () => (state.aborted = true));
    return new Promise<T>((resolve, reject) => setTimeout(() => ('value' in outcome ? resolve(outcome.value) : reject(outcome.error)), ms));
  };
  return { run, state };
}

describe('raceHedge', () => {
  it('a fast first copy sends no hedge', async () => {
    const first = copy(1, { value: 'a' });
    const hedge = copy(1, { value: 'b' });
    const told: HedgeWinner[] = [];
    expect(await raceHedge({ first: first.run, delayMs: 200, hedge: hedge.run, onHedged: (w) => told.push(w) })).toBe('a');
    expect(hedge.state.started).toBe(false);
    expect(told).toEqual([]);
  });

  it('a straggler is hedged after the delay; the hedge wins and the first copy is aborted', async () => {
    const first = copy(2_000, { value: 'slow' });
    const hedge = copy(1, { value: 'fast' });
    const told: HedgeWinner[] = [];
    expect(await raceHedge({ first: first.run, delayMs: 5, hedge: hedge.run, onHedged: (w) => told.push(w) })).toBe('fast');
    expect(first.state.aborted).toBe(true);
    expect(told).toEqual(['hedge']);
  });

  it('the first copy can still win; then the hedge is aborted and counted lost', async () => {
    const first = copy(30, { value: 'first' });
    const hedge = copy(2_000, { value: 'hedge' });
    const told: HedgeWinner[] = [];
    expect(await raceHedge({ first: first.run, delayMs: 5, hedge: hedge.run, onHedged: (w) => told.push(w) })).toBe('first');
    expect(hedge.state.aborted).toBe(true);
    expect(told).toEqual(['first']);
  });

  it('no budget: no hedge, the first copy answers whenever it does', async () => {
    const first = copy(30, { value: 'first' });
    expect(await raceHedge({ first: first.run, delayMs: 1, hedge: () => null })).toBe('first');
  });

  it('a read refused a hedge at its delay asks once more, as late, at LATE_HEDGE_FACTOR times the delay, and never again', async () => {
    vi.useFakeTimers();
    try {
      const asked: [number, boolean][] = [];
      const started = Date.now();
      const hedge = copy(1, { value: 'hedge' });
      const result = raceHedge({
        first: copy(1_000, { value: 'first' }).run,
        delayMs: 10,
        hedge: (signal, late) => {
          asked.push([Date.now() - started, late]);
          return late ? hedge.run(signal) : null;
        },
      });
      await vi.advanceTimersByTimeAsync(100);
      await expect(result).resolves.toBe('hedge');
      expect(asked).toEqual([
        [10, false],
        [10 * LATE_HEDGE_FACTOR, true],
      ]);
      // Refused both times: the first copy answers whenever it does, and nothing more is asked.
      asked.length = 0;
      const alone = raceHedge({
        first: copy(200, { value: 'first' }).run,
        delayMs: 10,
        hedge: (_signal, late) => {
          asked.push([Date.now() - started, late]);
          return null;
        },
      });
      await vi.advanceTimersByTimeAsync(300);
      await expect(alone).resolves.toBe('first');
      expect(asked.map(([, late]) => late)).toEqual([false, true]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('one copy failing leaves the other to answer; both failing throws the first copy’s error', async () => {
    const failsFirst = copy(20, { error: new Error('first failed') });
    expect(await raceHedge({ first: failsFirst.run, delayMs: 5, hedge: copy(40, { value: 'hedge' }).run })).toBe('hedge');
    expect(await raceHedge({ first: copy(40, { value: 'first' }).run, delayMs: 5, hedge: copy(1, { error: new Error('x') }).run })).toBe(
      'first',
    );
    const told: HedgeWinner[] = [];
    await expect(
      raceHedge({
        first: copy(20, { error: new Error('first failed') }).run,
        delayMs: 5,
        hedge: copy(1, { error: new Error('hedge failed') }).run,
        onHedged: (w) => told.push(w),
      }),
    ).rejects.toThrow('first failed');
    expect(told).toEqual([null]);
  });

  it('a first copy that fails before the delay sends no hedge (failover takes over)', async () => {
    vi.useFakeTimers();
    try {
      const hedge = copy(1, { value: 'b' });
      const result = raceHedge({ first: copy(1, { error: new Error('down') }).run, delayMs: 50, hedge: hedge.run });
      const failed = expect(result).rejects.toThrow('down');
      await vi.advanceTimersByTimeAsync(200);
      await failed;
      expect(hedge.state.started).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
