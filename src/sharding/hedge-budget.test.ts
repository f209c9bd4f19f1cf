import { describe, expect, it } from 'vitest';
import { HEDGE_BURST, HEDGE_RESERVE, HedgeBudget } from './hedge-budget.js';

describe('HedgeBudget', () => {
  it('hedges at most percent% of the reads plus a small burst, however many want one', () => {
    for (const percent of [1, 5, 20, 50]) {
      const budget = new HedgeBudget(percent);
      let hedged = 0;
      const reads = 10_000;
      for (let i = 0; i < reads; i++) {
        budget.onRead();
        if (budget.tryTake()) hedged++;
      }
      expect(hedged).toBeLessThanOrEqual((reads * percent) / 100 + HEDGE_BURST);
      expect(hedged).toBeGreaterThanOrEqual((reads * percent) / 100 - 1);
    }
  });

  it('saves up at most a burst while nothing needs a hedge', () => {
    const budget = new HedgeBudget(5);
    for (let i = 0; i < 100_000; i++) budget.onRead();
    let burst = 0;
    while (budget.tryTake()) burst++;
    expect(burst).toBe(HEDGE_BURST);
  });

  it('keeps a reserve for late reads: reads at their first delay cannot empty the budget', () => {
    const budget = new HedgeBudget(5);
    for (let i = 0; i < 100_000; i++) budget.onRead();
    let onTime = 0;
    while (budget.tryTake(false)) onTime++;
    expect(onTime).toBe(HEDGE_BURST - HEDGE_RESERVE);
    // The reserve is there for a late read, and only one.
    expect(budget.tryTake(true)).toBe(true);
    expect(budget.tryTake(true)).toBe(false);
  });

  it('with every read wanting a hedge at its delay and a few late ones, the late ones are all hedged', () => {
    const budget = new HedgeBudget(5);
    let late = 0;
    let lateHedged = 0;
    let hedged = 0;
    const reads = 20_000;
    for (let i = 0; i < reads; i++) {
      budget.onRead();
      // Every read is slowish and asks at its delay; every 50th (2%) is still unanswered at its late mark.
      if (budget.tryTake(false)) hedged++;
      else if (i % 50 === 0) {
        late++;
        if (budget.tryTake(true)) {
          hedged++;
          lateHedged++;
        }
      }
    }
    expect(hedged).toBeLessThanOrEqual((reads * 5) / 100 + HEDGE_BURST);
    expect(lateHedged).toBeGreaterThanOrEqual(late - 1);
  });

  it('0 never hedges', () => {
    const budget = new HedgeBudget(0);
    for (let i = 0; i < 1000; i++) budget.onRead();
    expect(budget.enabled).toBe(false);
    expect(budget.tryTake()).toBe(false);
  });
});
