import { describe, expect, it } from 'vitest';
import { PendingReads } from './pending-reads.js';

describe('PendingReads', () => {
  it('dispatches at once (next turn) when nothing is in flight', async () => {
    const reads = new PendingReads();
    const done = new Promise<void>((resolve) => reads.whenIdle(resolve));
    await expect(done).resolves.toBeUndefined();
  });

  it('waits for every tracked read, including one started by a read that finished', async () => {
    const reads = new PendingReads();
    const order: string[] = [];
    let releaseA!: () => void;
    let releaseB!: () => void;
    void reads.track(new Promise<void>((r) => (releaseA = r))).then(() => {
      order.push('a');
      // A parent that arrives later and starts another read.
      void reads.track(new Promise<void>((r) => (releaseB = r))).then(() => order.push('b'));
    });
    const dispatched = new Promise<void>((resolve) =>
      reads.whenIdle(() => {
        order.push('dispatch');
        resolve();
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    releaseA();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a']);
    releaseB();
    await dispatched;
    expect(order).toEqual(['a', 'b', 'dispatch']);
  });

  it('a failed read counts as finished', async () => {
    const reads = new PendingReads();
    await reads.track(Promise.reject(new Error('x'))).catch(() => {});
    await new Promise<void>((resolve) => reads.whenIdle(resolve));
  });
});
