import { describe, expect, it } from 'vitest';
import { UsageError } from './cli-io.js';
import { parseWorkers } from './serve-workers.js';

describe('parseWorkers', () => {
  it('is 1 by default, a number as given, and one per CPU for auto', () => {
    expect(parseWorkers(undefined)).toBe(1);
    expect(parseWorkers('3')).toBe(3);
    expect(parseWorkers('auto', () => 2)).toBe(2);
    expect(parseWorkers('auto', () => 0)).toBe(1);
  });

  it('refuses anything else with a usage error naming the flag', () => {
    for (const bad of ['0', '-1', '1.5', 'all', '', '257']) {
      expect(() => parseWorkers(bad), bad).toThrow(UsageError);
      expect(() => parseWorkers(bad), bad).toThrow(/^--workers: /);
    }
  });
});
