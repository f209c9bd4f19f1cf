import { afterEach, describe, expect, it, vi } from 'vitest';
import { NodeAdmission } from './admission.js';
import { ShardOverloadedError } from './errors.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('NodeAdmission', () => {
  it('admits up to its permits at once, queues up to queueMax, refuses the next at once', async () => {
    const admission = new NodeAdmission(3, 2, 1);
    const a = await admission.acquire(1000);
    const b = await admission.acquire(1000);
    const queued = admission.acquire(1000);
    expect(admission.waiting).toBe(1);
    await expect(admission.acquire(1000)).rejects.toBeInstanceOf(ShardOverloadedError);
    await expect(admission.acquire(1000)).rejects.toMatchObject({ code: 'SHARD_OVERLOADED', shardId: 3 });
    a();
    const c = await queued;
    expect(admission.waiting).toBe(0);
    b();
    c();
    // Both permits are free again.
    (await admission.acquire(1000))();
    (await admission.acquire(1000))();
  });

  it('a waiter gives up after waitMs with SHARD_OVERLOADED and leaves the queue', async () => {
    vi.useFakeTimers();
    const admission = new NodeAdmission(0, 1, 5);
    const held = await admission.acquire(100);
    const waiter = admission.acquire(100);
    const outcome = waiter.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(await outcome).toBeInstanceOf(ShardOverloadedError);
    expect(admission.waiting).toBe(0);
    held();
    (await admission.acquire(100))();
  });

  it("a wait cut short by the caller's own limit fails with the caller's error; a full queue is still SHARD_OVERLOADED", async () => {
    vi.useFakeTimers();
    const admission = new NodeAdmission(0, 1, 1);
    const held = await admission.acquire(100);
    const deadline = () => new Error('deadline');
    const waiter = admission.acquire(40, deadline).catch((e: unknown) => e);
    await expect(admission.acquire(40, deadline)).rejects.toBeInstanceOf(ShardOverloadedError);
    await vi.advanceTimersByTimeAsync(40);
    expect(await waiter).toMatchObject({ message: 'deadline' });
    expect(admission.waiting).toBe(0);
    held();
  });

  it('serves waiters first in, first out; a release is idempotent', async () => {
    const admission = new NodeAdmission(0, 1, 10);
    const first = await admission.acquire(1000);
    const order: number[] = [];
    const waiters = [1, 2, 3].map((i) => admission.acquire(1000).then((release) => (order.push(i), release)));
    first();
    first(); // a second call must not free a second permit
    const r1 = await waiters[0]!;
    expect(admission.waiting).toBe(2);
    r1();
    (await waiters[1]!)();
    (await waiters[2]!)();
    expect(order).toEqual([1, 2, 3]);
  });

  it('refuseAll empties the queue', async () => {
    const admission = new NodeAdmission(0, 1, 10);
    await admission.acquire(1000);
    const waiter = admission.acquire(1000);
    admission.refuseAll(new Error('closing'));
    await expect(waiter).rejects.toThrow('closing');
    expect(admission.waiting).toBe(0);
  });
});
