import { describe, expect, it } from 'vitest';
import { requestTimeoutMs } from './request-timeout-header.js';

describe('shardgate-timeout-ms', () => {
  it('defaults to the limit and can only lower it', () => {
    expect(requestTimeoutMs(null, 10_000)).toBe(10_000);
    expect(requestTimeoutMs('250', 10_000)).toBe(250);
    expect(requestTimeoutMs(' 250 ', 10_000)).toBe(250);
    expect(requestTimeoutMs('60000', 10_000)).toBe(10_000);
  });

  it.each(['', '0', '-5', '1.5', '1e3', 'abc', '0x10', '12345678901', '10 ms'])('refuses %j with the header named', (value) => {
    expect(() => requestTimeoutMs(value, 10_000)).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'shardgate-timeout-ms' }),
    );
  });
});
