import { describe, expect, it } from 'vitest';
import type { HealthPolicy } from '../config/health-options.js';
import { afterFailure, afterSuccess, INITIAL_HEALTH, isServable, judgeMiss } from './node-health.js';

const policy: HealthPolicy = { failuresToEject: 2, maxLagSeconds: null };

describe('node health', () => {
  it('starts unknown and servable (fail open before the first probe)', () => {
    expect(INITIAL_HEALTH.status).toBe('unknown');
    expect(isServable(INITIAL_HEALTH)).toBe(true);
  });

  it('ejects after the configured number of consecutive failures, not before', () => {
    let h = afterSuccess(INITIAL_HEALTH, 1000, policy);
    h = afterFailure(h, 2000, policy, 'ECONNREFUSED');
    expect(h.status).toBe('healthy');
    expect(isServable(h)).toBe(true);
    expect(h.consecutiveFailures).toBe(1);
    h = afterFailure(h, 3000, policy, 'ECONNREFUSED');
    expect(h).toMatchObject({ status: 'ejected', reason: 'unreachable', since: 3000, checkedAt: 3000 });
    expect(isServable(h)).toBe(false);
    h = afterFailure(h, 4000, policy, 'ECONNREFUSED');
    expect(h.since).toBe(3000);
    expect(h.lastError).toBe('ECONNREFUSED');
  });

  it('a success in between resets the count', () => {
    let h = afterFailure(INITIAL_HEALTH, 1, policy, 'x');
    h = afterSuccess(h, 2, policy);
    h = afterFailure(h, 3, policy, 'x');
    expect(h.status).toBe('healthy');
  });

  it('one success re-admits an ejected node and records when', () => {
    let h = afterFailure(afterFailure(INITIAL_HEALTH, 1, policy, 'x'), 2, policy, 'x');
    expect(h.status).toBe('ejected');
    h = afterSuccess(h, 10_000, policy, { lag: { seconds: 0, bytes: 0 } });
    expect(h).toMatchObject({ status: 'healthy', reason: null, since: 10_000, consecutiveFailures: 0, lastError: null });
  });

  it('with maxLagSeconds, a lagging replica is ejected and re-admitted once it catches up', () => {
    const lagPolicy: HealthPolicy = { failuresToEject: 2, maxLagSeconds: 5 };
    let h = afterSuccess(INITIAL_HEALTH, 1, lagPolicy, { lag: { seconds: 9, bytes: 1024 } });
    expect(h).toMatchObject({ status: 'ejected', reason: 'lagging', since: 1 });
    h = afterSuccess(h, 2, lagPolicy, { lag: { seconds: 9.5, bytes: 2048 } });
    expect(h.since).toBe(1);
    h = afterSuccess(h, 3, lagPolicy, { lag: { seconds: 0.2, bytes: 0 } });
    expect(h).toMatchObject({ status: 'healthy', reason: null, since: 3 });
  });

  it('keeps the last lag while unreachable, so operators still see it', () => {
    let h = afterSuccess(INITIAL_HEALTH, 1, policy, { lag: { seconds: 1.5, bytes: 10 } });
    h = afterFailure(h, 2, policy, 'x');
    expect(h.lag).toEqual({ seconds: 1.5, bytes: 10 });
  });
});

describe('judgeMiss: a slow node is not a failed node', () => {
  it('a refused or broken attempt is a failure, whatever the node answered meanwhile', () => {
    expect(judgeMiss(undefined, 5_000)).toBe('failed');
    expect(judgeMiss({ startedAt: 1_000, timedOut: false }, 1_500)).toBe('failed');
  });

  it('a timeout while the node answered something else after the attempt began is slowness', () => {
    expect(judgeMiss({ startedAt: 1_000, timedOut: true }, 1_001)).toBe('slow');
    expect(judgeMiss({ startedAt: 1_000, timedOut: true }, 1_999)).toBe('slow');
  });

  it('a timeout of a node that answered nothing since the attempt began is a failure (a stopped node, at its first miss)', () => {
    expect(judgeMiss({ startedAt: 1_000, timedOut: true }, null)).toBe('failed');
    expect(judgeMiss({ startedAt: 1_000, timedOut: true }, 999)).toBe('failed');
    // An answer in the very millisecond the attempt began may have been sent before it: not evidence.
    expect(judgeMiss({ startedAt: 1_000, timedOut: true }, 1_000)).toBe('failed');
  });
});
