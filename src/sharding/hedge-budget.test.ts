import { describe, expect, it } from 'vitest';
import { HEDGE_BURST, HedgeBudget } from './hedge-budget.js';

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

  it('0 never hedges', () => {
    const budget = new HedgeBudget(0);
    for (let i = 0; i < 1000; i++) budget.onRead();
    expect(budget.enabled).toBe(false);
    expect(budget.tryTake()).toBe(false);
  });
});
