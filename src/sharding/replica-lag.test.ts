import { describe, expect, it } from 'vitest';
import { computeReplicaLag, parseLsn } from './replica-lag.js';

describe('replica lag', () => {
  it('parses LSNs', () => {
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('16/B374D848')).toBe(0x16b374d848n);
    expect(parseLsn('FFFFFFFF/FFFFFFFF')).toBe(0xffffffffffffffffn);
    expect(() => parseLsn('nope')).toThrow(/not a PostgreSQL LSN/);
  });

  it('computes bytes against the primary position of the same round', () => {
    expect(computeReplicaLag({ lsn: '0/3000000', replayLagSeconds: 0.25 }, '0/3000100')).toEqual({
      seconds: 0.25,
      bytes: 0x100,
    });
  });

  it('never reports negative lag, and null bytes when a position is unknown', () => {
    expect(computeReplicaLag({ lsn: '0/3000200', replayLagSeconds: -0.001 }, '0/3000100')).toEqual({
      seconds: 0,
      bytes: 0,
    });
    expect(computeReplicaLag({ lsn: '0/3000200', replayLagSeconds: 1 }, null)).toEqual({
      seconds: 1,
      bytes: null,
    });
  });
});
