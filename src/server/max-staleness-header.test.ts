import { describe, expect, it } from 'vitest';
import { BadUserInputError } from '../graphql/errors.js';
import { maxStalenessMs, STALENESS_HEADER } from './max-staleness-header.js';

describe('shardgate-max-staleness-ms', () => {
  it('reads a non-negative integer of milliseconds, or nothing', () => {
    expect(maxStalenessMs(null)).toBeNull();
    expect(maxStalenessMs('0')).toBe(0);
    expect(maxStalenessMs(' 250 ')).toBe(250);
    expect(maxStalenessMs('86400000')).toBe(86_400_000);
  });

  it('refuses anything else, naming the header', () => {
    for (const bad of ['', '-1', '1.5', 'abc', '1e3', '0x10', '86400001', '99999999999', '१२']) {
      let error: unknown;
      try {
        maxStalenessMs(bad);
      } catch (err) {
        error = err;
      }
      expect(error, bad).toBeInstanceOf(BadUserInputError);
      expect((error as BadUserInputError).field).toBe(STALENESS_HEADER);
    }
  });
});
