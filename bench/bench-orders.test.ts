import { describe, expect, it } from 'vitest';
import { benchOrderCount, benchOrders, demoUserNumber, expectedPageSize, MAX_BENCH_ORDERS } from './bench-orders.js';

describe('bench orders', () => {
  it('gives users 0 to MAX_BENCH_ORDERS orders, about half of them more than a page of 5', () => {
    const counts = Array.from({ length: 1100 }, (_, i) => benchOrderCount(i + 1));
    expect(Math.min(...counts)).toBe(0);
    expect(Math.max(...counts)).toBe(MAX_BENCH_ORDERS);
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    expect(mean).toBeCloseTo(5, 0);
    expect(counts.filter((n) => n > 5).length / counts.length).toBeGreaterThan(0.4);
  });

  it('is deterministic, with distinct stored keys of 22 base64url characters owned by the user', () => {
    const a = benchOrders(21);
    expect(a).toHaveLength(10);
    expect(a).toEqual(benchOrders(21));
    expect(a).toHaveLength(benchOrderCount(21));
    expect(new Set(a.map((o) => o.orderId)).size).toBe(a.length);
    for (const o of a) {
      expect(o.userId).toBe('user-21');
      expect(o.orderId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(o.totalCents).toBeGreaterThanOrEqual(99);
      expect(o.currency).toMatch(/^[A-Z]{3}$/);
    }
    expect(benchOrders(23)[0]!.orderId).not.toBe(a[0]!.orderId);
  });

  it('knows the page size of a demo user and refuses other ids', () => {
    expect(demoUserNumber('user-42')).toBe(42);
    expect(demoUserNumber('user-042')).toBeNull();
    expect(demoUserNumber('bench-1')).toBeNull();
    expect(expectedPageSize('user-10', 5)).toBe(5);
    expect(expectedPageSize('user-3', 5)).toBe(3);
    expect(expectedPageSize('user-11', 5)).toBe(0);
    expect(() => expectedPageSize('someone', 5)).toThrow(RangeError);
  });
});
