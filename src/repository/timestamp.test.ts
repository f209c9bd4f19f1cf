import { describe, expect, it } from 'vitest';
import { isTimestamp, timestampFromPg, timestampToIso } from './timestamp.js';

describe('timestamps', () => {
  it('keeps microseconds from PostgreSQL text', () => {
    expect(timestampFromPg('2026-11-23 21:07:00.123456+00')).toBe('2026-11-23T21:07:00.123456Z');
    expect(timestampFromPg('2026-11-23 21:07:00.12+00')).toBe('2026-11-23T21:07:00.120000Z');
    expect(timestampFromPg('2026-11-23 21:07:00+00')).toBe('2026-11-23T21:07:00.000000Z');
  });

  it('falls back to milliseconds for other zones', () => {
    expect(timestampFromPg('2026-11-23 23:07:00.123456+02')).toBe('2026-11-23T21:07:00.123000Z');
  });

  it('orders by plain string comparison and prints ISO milliseconds', () => {
    const a = timestampFromPg('2026-11-23 21:07:00.000001+00');
    const b = timestampFromPg('2026-11-23 21:07:00.00001+00');
    expect(a < b).toBe(true);
    expect(timestampToIso(b)).toBe('2026-11-23T21:07:00.000Z');
  });

  it('validates the canonical form', () => {
    expect(isTimestamp('2026-11-23T21:07:00.123456Z')).toBe(true);
    expect(isTimestamp('2026-11-23T21:07:00.123Z')).toBe(false);
    expect(isTimestamp('2026-13-45T21:07:00.123456Z')).toBe(false);
    expect(isTimestamp("2026-11-23T21:07:00.123456Z' OR 1=1")).toBe(false);
  });

  it('is a real instant: no February 30th, no 24:00, no year 0', () => {
    expect(isTimestamp('2024-02-29T00:00:00.000000Z')).toBe(true);
    expect(isTimestamp('2026-02-29T00:00:00.000000Z')).toBe(false);
    expect(isTimestamp('2026-02-30T00:00:00.000000Z')).toBe(false);
    expect(isTimestamp('2026-04-31T00:00:00.000000Z')).toBe(false);
    expect(isTimestamp('2026-01-01T24:00:00.000000Z')).toBe(false);
    expect(isTimestamp('0000-01-01T00:00:00.000000Z')).toBe(false);
    expect(isTimestamp('0001-01-01T00:00:00.000000Z')).toBe(true);
  });
});
