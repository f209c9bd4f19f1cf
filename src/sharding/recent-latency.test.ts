import { describe, expect, it } from 'vitest';
import { hedgeDelayMs, LatencyRing, LATENCY_SAMPLES, MIN_LATENCY_SAMPLES, RecentLatencies } from './recent-latency.js';

describe('LatencyRing', () => {
  it('gives no p95 until it has enough samples, then the 95th percentile', () => {
    const ring = new LatencyRing();
    for (let i = 1; i < MIN_LATENCY_SAMPLES; i++) ring.record(i);
    expect(ring.p95()).toBeNull();
    const fresh = new LatencyRing();
    for (let i = 1; i <= 100; i++) fresh.record(i);
    expect(fresh.p95()).toBe(95);
  });

  it('keeps only the last samples: memory is bounded and old latencies fall out', () => {
    const ring = new LatencyRing();
    for (let i = 0; i < 10_000; i++) ring.record(500);
    expect(ring.size).toBe(LATENCY_SAMPLES);
    for (let i = 0; i < LATENCY_SAMPLES; i++) ring.record(3);
    expect(ring.p95()).toBe(3);
  });

  it('ignores nonsense durations', () => {
    const ring = new LatencyRing();
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) ring.record(bad);
    expect(ring.size).toBe(0);
  });

  it('per node, and forgets nodes that left', () => {
    const all = new RecentLatencies();
    for (let i = 0; i < 50; i++) {
      all.record('a', 10);
      all.record('b', 1);
    }
    expect(all.p95('a')).toBe(10);
    expect(all.p95('b')).toBe(1);
    all.retain(new Set(['b']));
    expect(all.p95('a')).toBeNull();
    expect(all.p95('c')).toBeNull();
  });
});

describe('hedgeDelayMs', () => {
  it('is the fixed delay, or the recent p95 with a floor of 2 ms, or none while auto knows nothing', () => {
    expect(hedgeDelayMs(15, null)).toBe(15);
    expect(hedgeDelayMs('auto', 7.5)).toBe(7.5);
    expect(hedgeDelayMs('auto', 0.3)).toBe(2);
    expect(hedgeDelayMs('auto', null)).toBeNull();
  });
});
