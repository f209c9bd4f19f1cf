import { describe, expect, it } from 'vitest';
import { ShardUnavailableError, SqlError } from './errors.js';
import { LayoutRetry, type LayoutWaiter } from './layout-retry.js';

const refused = () => new SqlError('SGL01', 'users_insert');

describe('LayoutRetry', () => {
  it('sends a refused write again, routed afresh, once the layout may have changed', async () => {
    let now = 0;
    let shardCount = 2;
    const waits: number[] = [];
    const waiter: LayoutWaiter = {
      waitForLayout: async (until) => {
        waits.push(until);
        now += 100;
        if (waits.length === 2) shardCount = 3;
      },
    };
    const retry = new LayoutRetry(() => waiter, { maxWaitMs: 1000, clock: () => now });
    const routedTo: number[] = [];
    const result = await retry.run(
      async () => {
        routedTo.push(shardCount);
        if (shardCount === 2) throw refused();
        return 'written';
      },
      () => shardCount,
    );
    expect(result).toBe('written');
    expect(routedTo).toEqual([2, 2, 3]);
    expect(waits).toEqual([1000, 1000]);
  });

  it('gives up with SHARD_UNAVAILABLE past its budget or the deadline, for the last shard tried', async () => {
    let now = 0;
    const waiter: LayoutWaiter = { waitForLayout: async () => void (now += 300) };
    const retry = new LayoutRetry(() => waiter, { maxWaitMs: 1000, clock: () => now });
    const err = await retry
      .run(
        () => Promise.reject(refused()),
        () => 4,
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShardUnavailableError);
    expect(err).toMatchObject({ shardId: 4 });
    expect(now).toBe(1200);
    now = 0;
    await expect(
      retry.run(
        () => Promise.reject(refused()),
        () => 1,
        500,
      ),
    ).rejects.toBeInstanceOf(ShardUnavailableError);
    expect(now).toBe(600);
  });

  it('passes any other error through at once, and without a waiter does not retry', async () => {
    let calls = 0;
    const retry = new LayoutRetry(() => ({ waitForLayout: async () => {} }));
    await expect(
      retry.run(
        () => (calls++, Promise.reject(new SqlError('23505', 'x'))),
        () => 0,
      ),
    ).rejects.toMatchObject({ sqlState: '23505' });
    expect(calls).toBe(1);
    await expect(
      new LayoutRetry(() => null).run(
        () => Promise.reject(refused()),
        () => 0,
      ),
    ).rejects.toBeInstanceOf(ShardUnavailableError);
  });
});
