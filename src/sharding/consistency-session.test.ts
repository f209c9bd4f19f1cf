import { describe, expect, it } from 'vitest';
import { ConsistencySession } from './consistency-session.js';
import { decodeToken } from './consistency-token.js';

const p = (shardId: number, lsn: bigint) => ({ shardId, systemId: 5n, timeline: 1, lsn });

describe('ConsistencySession', () => {
  it('has nothing to hand back for a request that neither carried a token nor wrote', () => {
    expect(new ConsistencySession([], 50).outgoing()).toBeNull();
  });

  it('names the positions reads must see, and hands back the carried token merged with the writes', () => {
    const session = new ConsistencySession([p(0, 10n), p(2, 30n)], 50);
    expect(session.positionFor(0)).toEqual(p(0, 10n));
    expect(session.positionFor(1)).toBeNull();
    expect(decodeToken(session.outgoing()!, 3)).toEqual([p(0, 10n), p(2, 30n)]);
    session.recordWrite(p(1, 20n));
    session.recordWrite(p(0, 40n));
    session.recordWrite(p(1, 15n));
    expect(decodeToken(session.outgoing()!, 3)).toEqual([p(0, 40n), p(1, 20n), p(2, 30n)]);
    expect(session.positionFor(0)).toEqual(p(0, 40n));
    expect(session.positionFor(1)).toEqual(p(1, 20n));
  });
});
