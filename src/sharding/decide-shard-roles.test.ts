import { describe, expect, it } from 'vitest';
import { decideShardRoles, initialRoleMemory, type NodeRoleInput, type ShardRoleMemory } from './decide-shard-roles.js';
import type { RoleObservation } from './node-probe.js';

const SYS = '7300000000000000001';
const primary = (timeline: number, systemIdentifier = SYS): RoleObservation => ({ inRecovery: false, timeline, systemIdentifier });
const standby = (timeline: number, systemIdentifier = SYS): RoleObservation => ({ inRecovery: true, timeline, systemIdentifier });

type Name = 'a' | 'b' | 'c';
const input = (node: Name, observation: RoleObservation | null): NodeRoleInput<Name> => ({
  node,
  configuredRole: node === 'a' ? 'primary' : 'replica',
  observation,
});

/** Runs rounds in order, carrying the memory, and returns every decision. */
function rounds(...each: NodeRoleInput<Name>[][]) {
  let memory: ShardRoleMemory<Name> = initialRoleMemory();
  return each.map((nodes, i) => {
    const d = decideShardRoles(nodes, memory, 1000 * (i + 1));
    memory = d.memory;
    return d;
  });
}

describe('decideShardRoles', () => {
  it('before any probe answered, the configured roles stand', () => {
    const [d] = rounds([input('a', null), input('b', null)]);
    expect(d).toMatchObject({ primary: 'a', replicas: ['b'], noWriteReason: null, primaryChanged: false });
    expect(d!.excluded.size).toBe(0);
  });

  it('a steady shard: the node out of recovery writes, standbys on its timeline read', () => {
    const [d] = rounds([input('a', primary(1)), input('b', standby(1)), input('c', standby(1))]);
    expect(d).toMatchObject({ primary: 'a', replicas: ['b', 'c'], timeline: 1, systemIdentifier: SYS, noWriteReason: null });
    expect(d!.excluded.size).toBe(0);
    expect(d!.memory).toMatchObject({ lastPrimary: 'a', primarySince: 1000, highestTimeline: 1 });
  });

  it('the configured primary need not be the primary: roles come from the nodes', () => {
    const [d] = rounds([input('a', standby(3)), input('b', primary(3))]);
    expect(d).toMatchObject({ primary: 'b', replicas: ['a'], primaryChanged: false });
  });

  it('promotion: the crashed primary keeps the role (writes wait for it) until a replica is promoted, which then takes writes', () => {
    // A node that stops answering keeps its last observation: the caller sees it unreachable and buffers.
    const [before, promoted] = rounds(
      [input('a', primary(1)), input('b', standby(1)), input('c', standby(1))],
      [input('a', primary(1)), input('b', primary(2)), input('c', standby(1))],
    );
    expect(before!.primary).toBe('a');
    expect(promoted).toMatchObject({ primary: 'b', timeline: 2, primaryChanged: true, replicas: [] });
    // The other standby still follows timeline 1 (the dead primary): it does not see the new primary's writes.
    expect(promoted!.excluded.get('c')).toBe('old-timeline');
    expect(promoted!.excluded.get('a')).toBe('stale-primary');
    expect(promoted!.memory).toMatchObject({ lastPrimary: 'b', primarySince: 2000, highestTimeline: 2 });
  });

  it('a replica still on the old timeline reads again once it follows the new primary', () => {
    const [, later] = rounds(
      [input('a', primary(1)), input('b', primary(2)), input('c', standby(1))],
      [input('a', primary(1)), input('b', primary(2)), input('c', standby(2))],
    );
    expect(later).toMatchObject({ primary: 'b', replicas: ['c'] });
    expect(later!.excluded.has('c')).toBe(false);
  });

  it('the old primary back on its old timeline serves nothing, even when the new one was never seen by this process', () => {
    const [back, restarted] = rounds(
      [input('a', primary(1)), input('b', primary(2)), input('c', standby(2))],
      // A new process: memory is empty, but a standby already follows timeline 2.
      [input('a', primary(1)), input('b', null), input('c', standby(2))],
    );
    expect(back).toMatchObject({ primary: 'b', replicas: ['c'] });
    expect(back!.excluded.get('a')).toBe('stale-primary');
    expect(restarted).toMatchObject({ primary: null, noWriteReason: 'NO_PRIMARY', replicas: ['c'] });
    expect(restarted!.excluded.get('a')).toBe('stale-primary');
    const [fresh] = rounds([input('a', primary(1)), input('b', null), input('c', standby(2))]);
    expect(fresh).toMatchObject({ primary: null, noWriteReason: 'NO_PRIMARY', timeline: 2 });
  });

  it('the remembered timeline keeps an old primary out after every newer node has gone out of sight', () => {
    let memory: ShardRoleMemory<Name> = initialRoleMemory();
    memory = decideShardRoles([input('a', primary(1)), input('b', primary(2))], memory, 1).memory;
    // Only the old primary is in the input now (the others removed from the topology by a reload, say).
    const d = decideShardRoles([input('a', primary(1))], memory, 2);
    expect(d).toMatchObject({ primary: null, noWriteReason: 'NO_PRIMARY', timeline: 2 });
    expect(d.excluded.get('a')).toBe('stale-primary');
  });

  it('the old primary rejoining as a standby of the new one reads again', () => {
    const [, rejoined] = rounds([input('a', primary(1)), input('b', primary(2))], [input('a', standby(2)), input('b', primary(2))]);
    expect(rejoined).toMatchObject({ primary: 'b', replicas: ['a'], primaryChanged: false });
  });

  it('two primaries on one timeline: no writes (split brain), neither serves, standbys still read', () => {
    const [d] = rounds([input('a', primary(4)), input('b', primary(4)), input('c', standby(4))]);
    expect(d).toMatchObject({ primary: null, noWriteReason: 'SPLIT_BRAIN', replicas: ['c'] });
    expect(d!.excluded.get('a')).toBe('split-brain');
    expect(d!.excluded.get('b')).toBe('split-brain');
  });

  it('split brain resolves when one of the two steps down, and it counts as a change only if the primary moved', () => {
    const [, split, resolved] = rounds(
      [input('a', primary(4)), input('b', standby(4))],
      [input('a', primary(4)), input('b', primary(4))],
      [input('a', standby(4)), input('b', primary(4))],
    );
    expect(split!.noWriteReason).toBe('SPLIT_BRAIN');
    expect(resolved).toMatchObject({ primary: 'b', primaryChanged: true, replicas: ['a'] });
  });

  it('two primaries on different timelines: the higher one writes, the lower serves nothing', () => {
    const [d] = rounds([input('a', primary(2)), input('b', primary(3))]);
    expect(d).toMatchObject({ primary: 'b', noWriteReason: null });
    expect(d!.excluded.get('a')).toBe('stale-primary');
  });

  it('a node of another system (misconfigured address) serves nothing, whatever its timeline', () => {
    const [d] = rounds([input('a', primary(1)), input('b', standby(1)), input('c', primary(9, '6999'))]);
    expect(d).toMatchObject({ primary: 'a', replicas: ['b'], timeline: 1, systemIdentifier: SYS });
    expect(d!.excluded.get('c')).toBe('foreign-system');
  });

  it('a tie of system identifiers keeps the one remembered, else the first node in topology order', () => {
    const [first] = rounds([input('a', primary(1)), input('b', standby(1, '6999'))]);
    expect(first).toMatchObject({ primary: 'a', systemIdentifier: SYS });
    expect(first!.excluded.get('b')).toBe('foreign-system');
    const [, swapped] = rounds(
      [input('a', primary(1)), input('b', standby(1)), input('c', standby(1, '6999'))],
      // The shard's own primary disappears from view; the remembered identifier still wins the 1:1 tie.
      [input('a', null), input('b', standby(1)), input('c', primary(5, '6999'))],
    );
    expect(swapped).toMatchObject({ primary: null, systemIdentifier: SYS, replicas: ['b'] });
    expect(swapped!.excluded.get('c')).toBe('foreign-system');
  });

  it('a node that never answered serves nothing once others have', () => {
    const [d] = rounds([input('a', primary(1)), input('b', null)]);
    expect(d).toMatchObject({ primary: 'a', replicas: [] });
    expect(d!.excluded.get('b')).toBe('unobserved');
  });

  it('flapping: a node that flips in and out of recovery on one timeline is never counted twice, and writes stop while two claim it', () => {
    const seq = rounds(
      [input('a', primary(1)), input('b', standby(1))],
      [input('a', primary(1)), input('b', primary(1))],
      [input('a', primary(1)), input('b', standby(1))],
      [input('a', primary(1)), input('b', primary(1))],
      [input('a', primary(1)), input('b', standby(1))],
    );
    expect(seq.map((d) => d.primary)).toEqual(['a', null, 'a', null, 'a']);
    expect(seq.map((d) => d.noWriteReason)).toEqual([null, 'SPLIT_BRAIN', null, 'SPLIT_BRAIN', null]);
    expect(seq.some((d) => d.primaryChanged)).toBe(false);
    expect(seq.at(-1)!.memory.primarySince).toBe(1000);
  });

  it('flapping across a failover: the old primary never takes writes again, the count rises once', () => {
    const seq = rounds(
      [input('a', primary(1)), input('b', standby(1))],
      [input('a', primary(1)), input('b', primary(2))],
      [input('a', primary(1)), input('b', primary(2))],
      [input('a', null), input('b', primary(2))],
      [input('a', standby(2)), input('b', primary(2))],
    );
    expect(seq.map((d) => d.primary)).toEqual(['a', 'b', 'b', 'b', 'b']);
    expect(seq.map((d) => d.primaryChanged)).toEqual([false, true, false, false, false]);
    expect(seq.at(-1)!.replicas).toEqual(['a']);
  });

  it('a standby ahead of every visible primary means a newer primary exists elsewhere: no writes', () => {
    const [d] = rounds([input('a', primary(1)), input('b', standby(2))]);
    expect(d).toMatchObject({ primary: null, noWriteReason: 'NO_PRIMARY', replicas: ['b'], timeline: 2 });
    expect(d!.excluded.get('a')).toBe('stale-primary');
  });
});

describe('decideShardRoles: the roles operators see', () => {
  const shown = (d: { nodeRoles: ReadonlyMap<Name, string> }) => Object.fromEntries(d.nodeRoles);
  const primaries = (d: { nodeRoles: ReadonlyMap<Name, string> }) => [...d.nodeRoles.values()].filter((r) => r === 'primary').length;

  it('configured roles before any probe, observed ones after', () => {
    const [fresh, steady, promoted] = rounds(
      [input('a', null), input('b', null)],
      [input('a', primary(1)), input('b', standby(1)), input('c', standby(1))],
      [input('a', standby(2)), input('b', primary(2)), input('c', standby(1))],
    );
    expect(shown(fresh!)).toEqual({ a: 'primary', b: 'replica' });
    expect(shown(steady!)).toEqual({ a: 'primary', b: 'replica', c: 'replica' });
    // A standby on an old timeline serves nothing, but it is a standby: a replica.
    expect(shown(promoted!)).toEqual({ a: 'replica', b: 'primary', c: 'replica' });
  });

  it('an old primary back on its old timeline is fenced, also while the new primary is unreachable', () => {
    const [, back, newGone] = rounds(
      [input('a', primary(1)), input('b', standby(1))],
      [input('a', primary(1)), input('b', primary(2))],
      // The new primary stops answering (its last observation stands); the old one still runs on timeline 1.
      [input('a', primary(1)), input('b', primary(2))],
    );
    expect(shown(back!)).toEqual({ a: 'fenced', b: 'primary' });
    expect(shown(newGone!)).toEqual({ a: 'fenced', b: 'primary' });
  });

  it('with no primary in sight, an old primary is still fenced', () => {
    let memory: ShardRoleMemory<Name> = initialRoleMemory();
    memory = decideShardRoles([input('a', primary(1)), input('b', primary(2))], memory, 1).memory;
    const d = decideShardRoles([input('a', primary(1)), input('b', null)], memory, 2);
    expect(d.primary).toBeNull();
    expect(d.nodeRoles.get('a')).toBe('fenced');
  });

  it('split brain: every claimant is fenced, none is shown primary', () => {
    const [d] = rounds([input('a', primary(2)), input('b', primary(2)), input('c', standby(2))]);
    expect(d!.noWriteReason).toBe('SPLIT_BRAIN');
    expect(shown(d!)).toEqual({ a: 'fenced', b: 'fenced', c: 'replica' });
  });

  it('a primary of another system is fenced; a configured primary never probed is fenced while another node is primary', () => {
    const [foreign] = rounds([input('a', primary(1)), input('b', standby(1)), input('c', primary(1, 'other'))]);
    expect(shown(foreign!)).toEqual({ a: 'primary', b: 'replica', c: 'fenced' });
    const [unprobed] = rounds([input('a', null), input('b', primary(2)), input('c', standby(2))]);
    expect(shown(unprobed!)).toEqual({ a: 'fenced', b: 'primary', c: 'replica' });
  });

  it('never shows two primaries for one shard, whatever the observations', () => {
    const options = [null, primary(1), primary(2), standby(1), standby(2), primary(2, 'other')];
    for (const a of options)
      for (const b of options)
        for (const c of options) {
          const [d] = rounds([input('a', a), input('b', b), input('c', c)]);
          expect(primaries(d!)).toBeLessThanOrEqual(1);
          if (d!.primary !== null) expect(d!.nodeRoles.get(d!.primary)).toBe('primary');
        }
  });
});
