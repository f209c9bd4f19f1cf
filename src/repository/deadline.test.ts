import { describe, expect, it } from 'vitest';
import { budget, deadlineAfter, remaining } from './deadline.js';

describe('deadline arithmetic (clock passed in)', () => {
  it('counts down from the start of the request and never goes negative', () => {
    const deadline = deadlineAfter(1_000, 250);
    expect(deadline).toBe(1_250);
    expect(remaining(deadline, 1_000)).toBe(250);
    expect(remaining(deadline, 1_249)).toBe(1);
    expect(remaining(deadline, 1_250)).toBe(0);
    expect(remaining(deadline, 9_999)).toBe(0);
  });

  it('is unlimited without a deadline (maintenance paths: migrations, seeding)', () => {
    expect(remaining(undefined, 123)).toBe(Number.POSITIVE_INFINITY);
    expect(budget(undefined, 123, 50)).toBe(50);
  });

  it('caps a wait by what remains', () => {
    expect(budget(1_100, 1_000, 50)).toBe(50);
    expect(budget(1_100, 1_080, 50)).toBe(20);
    expect(budget(1_100, 1_200, 50)).toBe(0);
  });
});
