import { describe, expect, it } from 'vitest';
import { decideReplicaLag, parseLsn } from './replica-lag.js';

const replica = (
  lsn: string | null,
  more: { receiveLsn?: string | null; streaming?: boolean; lastReplayAgeSeconds?: number | null } = {},
) => ({
  lsn,
  receiveLsn: null,
  streaming: false,
  lastReplayAgeSeconds: null,
  ...more,
});

describe('replica lag', () => {
  it('parses LSNs', () => {
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('16/B374D848')).toBe(0x16b374d848n);
    expect(parseLsn('FFFFFFFF/FFFFFFFF')).toBe(0xffffffffffffffffn);
    expect(() => parseLsn('nope')).toThrow(/not a PostgreSQL LSN/);
  });

  it('a replica restarted after a long stop, with nothing left to replay, has no lag whatever its last transaction’s age', () => {
    // Its receiver has not reconnected yet (a stale receive position ahead of replay, not streaming):
    // "seconds since the last replayed transaction" is 2,966 s of idleness, not lag.
    const restarted = replica('0/3000100', { receiveLsn: '0/3000200', streaming: false, lastReplayAgeSeconds: 2966 });
    expect(decideReplicaLag(restarted, '0/3000100')).toEqual({ seconds: 0, bytes: 0 });
    expect(decideReplicaLag(replica('0/3000100', { lastReplayAgeSeconds: 2966 }), '0/3000100')).toEqual({ seconds: 0, bytes: 0 });
  });

  it('streaming with everything received replayed is no lag; what is in flight shows as bytes', () => {
    const streaming = replica('0/3000000', { receiveLsn: '0/3000000', streaming: true, lastReplayAgeSeconds: 600 });
    expect(decideReplicaLag(streaming, '0/3000100')).toEqual({ seconds: 0, bytes: 0x100 });
    expect(decideReplicaLag(streaming, null)).toEqual({ seconds: 0, bytes: null });
  });

  it('with WAL left to replay, the age of the last replayed transaction is the lag', () => {
    const behind = replica('0/3000000', { receiveLsn: '0/3000100', streaming: true, lastReplayAgeSeconds: 0.25 });
    expect(decideReplicaLag(behind, '0/3000100')).toEqual({ seconds: 0.25, bytes: 0x100 });
    // Streaming from nobody while the primary moved on: behind, by at most that age.
    expect(decideReplicaLag(replica('0/3000000', { lastReplayAgeSeconds: 30 }), '0/3000100')).toEqual({ seconds: 30, bytes: 0x100 });
    // A clock skew between the nodes never makes it negative.
    expect(decideReplicaLag({ ...behind, lastReplayAgeSeconds: -0.001 }, '0/3000100')).toEqual({ seconds: 0, bytes: 0x100 });
  });

  it('unknown is null, never a large number', () => {
    // Not streaming and the primary's position unknown: nothing says whether it is behind.
    expect(decideReplicaLag(replica('0/3000100', { lastReplayAgeSeconds: 2966 }), null)).toEqual({ seconds: null, bytes: null });
    // Behind, but no transaction was ever replayed: no age to give.
    expect(decideReplicaLag(replica('0/3000000', { receiveLsn: '0/3000100' }), '0/3000100')).toEqual({ seconds: null, bytes: 0x100 });
    // Replaying nothing at all.
    expect(decideReplicaLag(replica(null), '0/3000100')).toBeNull();
  });

  it('a replica ahead of a stale primary reading is caught up', () => {
    expect(decideReplicaLag(replica('0/3000200', { lastReplayAgeSeconds: 5 }), '0/3000100')).toEqual({ seconds: 0, bytes: 0 });
  });
});
