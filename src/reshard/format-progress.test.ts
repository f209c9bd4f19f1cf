import { describe, expect, it } from 'vitest';
import { formatProgress } from './format-progress.js';

describe('formatProgress', () => {
  it('shows done/total, rate and an estimate from the injected times', () => {
    expect(formatProgress('copy', 12_000, 36_000, 0, 2_000)).toBe('copy: 12000/36000 users (33%), 6000 users/s, about 4.0 s left');
    expect(formatProgress('copy', 0, 100, 0, 0)).toBe('copy: 0/100 users (0%)');
    expect(formatProgress('copy', 100, 100, 0, 400)).toBe('copy: 100/100 users (100%), 250 users/s, 0.4 s');
    expect(formatProgress('copy', 0, 0, 0, 10)).toBe('copy: 0/0 users (100%), 0.0 s');
  });
});
