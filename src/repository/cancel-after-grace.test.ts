import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cancelAfterGrace } from './cancel-after-grace.js';

describe('cancelAfterGrace', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('sends nothing when the work settles within the grace, either way', async () => {
    for (const outcome of ['resolve', 'reject'] as const) {
      let settle!: () => void;
      const work = new Promise<void>((resolve, reject) => (settle = outcome === 'resolve' ? resolve : () => reject(new Error('57014'))));
      const cancel = vi.fn(async () => true);
      const done = cancelAfterGrace(work, 100, cancel);
      await vi.advanceTimersByTimeAsync(60);
      settle();
      await vi.advanceTimersByTimeAsync(100);
      await expect(done).resolves.toBe(false);
      expect(cancel).not.toHaveBeenCalled();
    }
  });

  it('cancels work still running when the grace is over, once, and reports the cancel', async () => {
    const work = new Promise<void>(() => {});
    const cancel = vi.fn(async () => true);
    const done = cancelAfterGrace(work, 100, cancel);
    await vi.advanceTimersByTimeAsync(99);
    expect(cancel).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await expect(done).resolves.toBe(true);
    expect(cancel).toHaveBeenCalledTimes(1);
  });

  it('a cancel that fails to go out resolves false', async () => {
    const done = cancelAfterGrace(new Promise(() => {}), 10, () => Promise.reject(new Error('ECONNREFUSED')));
    await vi.advanceTimersByTimeAsync(10);
    await expect(done).resolves.toBe(false);
  });
});
