import { describe, expect, it } from 'vitest';
import { chooseTokenRead } from './choose-token-read.js';
import type { ShardPosition } from './consistency-token.js';

const SYS = 99n;
const wanted: ShardPosition = { shardId: 0, systemId: SYS, timeline: 2, lsn: 1000n };
const at = (lsn: bigint, timeline = 2, systemId = SYS) => ({ systemId, timeline, lsn, at: 0 });
const history = { systemId: SYS, timeline: 2 };

describe('chooseTokenRead', () => {
  it('reads the first replica that has replayed the position', () => {
    const d = chooseTokenRead(wanted, history, [
      { node: 'r0', position: at(999n) },
      { node: 'r1', position: at(1000n) },
      { node: 'r2', position: at(5000n) },
    ]);
    expect(d).toEqual({ kind: 'replica', node: 'r1' });
  });

  it('waits for replicas that are behind, or whose position is not known yet', () => {
    expect(
      chooseTokenRead(wanted, history, [
        { node: 'r0', position: at(10n) },
        { node: 'r1', position: null },
      ]),
    ).toEqual({
      kind: 'wait',
      candidates: ['r0', 'r1'],
    });
  });

  it('reads the primary when the token comes from another history', () => {
    const replicas = [{ node: 'r0', position: at(5000n) }];
    expect(chooseTokenRead(wanted, { systemId: SYS, timeline: 3 }, replicas)).toEqual({ kind: 'primary', why: 'other-history' });
    expect(chooseTokenRead(wanted, { systemId: 7n, timeline: 2 }, replicas)).toEqual({ kind: 'primary', why: 'other-history' });
    expect(chooseTokenRead(wanted, null, replicas)).toEqual({ kind: 'primary', why: 'unknown-history' });
  });

  it('never uses a replica on another timeline, however far it got', () => {
    expect(chooseTokenRead(wanted, history, [{ node: 'r0', position: at(9000n, 1) }])).toEqual({ kind: 'primary', why: 'no-replica' });
    expect(chooseTokenRead(wanted, history, [])).toEqual({ kind: 'primary', why: 'no-replica' });
  });
});
