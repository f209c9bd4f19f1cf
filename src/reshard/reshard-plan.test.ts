import { describe, expect, it } from 'vitest';
import type { Topology } from '../config/topology.js';
import { shardIdFor } from '../sharding/shard-id-for.js';
import { belongsAfter, buildReshardPlan, countMoves, describePlan, emptyMoveCounts, moves } from './reshard-plan.js';

const node = (port: number, dbname = 'shardgate') => ({ host: '127.0.0.1', port, user: 'postgres', password: '', dbname });
const topology = (...ports: number[]): Topology => ({
  shards: ports.map((p, i) => ({ shardId: i, primary: node(p), replicas: [node(p + 1)] })),
});

describe('buildReshardPlan', () => {
  it('matches shards by database: 2 → 3 reusing both old shards', () => {
    const plan = buildReshardPlan(topology(5000, 5010), topology(5000, 5010, 6000));
    expect(plan.databases.map((d) => [d.key, d.oldShard, d.newShard])).toEqual([
      ['127.0.0.1:5000/shardgate', 0, 0],
      ['127.0.0.1:5010/shardgate', 1, 1],
      ['127.0.0.1:6000/shardgate', null, 2],
    ]);
    expect(plan.oldDatabase).toEqual([0, 1]);
    expect(plan.newDatabase).toEqual([0, 1, 2]);
  });

  it('3 → 2: the third database leaves the layout', () => {
    const plan = buildReshardPlan(topology(5000, 5010, 5020), topology(5000, 5010));
    expect(plan.databases.map((d) => [d.oldShard, d.newShard])).toEqual([
      [0, 0],
      [1, 1],
      [2, null],
    ]);
  });

  it('a database of another name on the same server is another database; a reused one may change shard id', () => {
    const to: Topology = {
      shards: [
        { shardId: 0, primary: node(5010), replicas: [] },
        { shardId: 1, primary: node(5000, 'other'), replicas: [] },
        { shardId: 2, primary: node(5000), replicas: [] },
      ],
    };
    const plan = buildReshardPlan(topology(5000, 5010), to);
    expect(plan.databases.map((d) => [d.key, d.oldShard, d.newShard])).toEqual([
      ['127.0.0.1:5000/shardgate', 0, 2],
      ['127.0.0.1:5010/shardgate', 1, 0],
      ['127.0.0.1:5000/other', null, 1],
    ]);
  });

  it('refuses an unchanged shard count and a database listed twice', () => {
    expect(() => buildReshardPlan(topology(5000, 5010), topology(5000, 6000))).toThrow(/both have 2 shard\(s\)/);
    expect(() => buildReshardPlan(topology(5000, 5010), topology(5000, 5010, 5000))).toThrow(
      /--to: shards 0 and 2 are the same database 127.0.0.1:5000\/shardgate/,
    );
  });
});

describe('moves and counts', () => {
  const plan = buildReshardPlan(topology(5000, 5010), topology(5000, 5010, 6000));
  const ids = Array.from({ length: 3000 }, (_, i) => `user-${i}`);

  it('a user moves exactly when its new shard is another database', () => {
    for (const id of ids) {
      const oldShard = shardIdFor(id, 2);
      expect(moves(plan, oldShard, id)).toBe(shardIdFor(id, 3) !== oldShard);
      expect(belongsAfter(plan, plan.newDatabase[shardIdFor(id, 3)]!, id)).toBe(true);
    }
  });

  it('counts per old and new shard, and flags users that are not on their old shard', () => {
    const counts = emptyMoveCounts(plan);
    for (const oldShard of [0, 1])
      countMoves(
        plan,
        counts,
        oldShard,
        ids.filter((id) => shardIdFor(id, 2) === oldShard),
      );
    countMoves(
      plan,
      counts,
      0,
      ['user-1'].filter((id) => shardIdFor(id, 2) === 1),
    );
    expect(counts.total).toBe(3000);
    expect(counts.matrix.flat().reduce((a, b) => a + b, 0)).toBe(3000);
    const staying = counts.matrix[0]![0]! + counts.matrix[1]![1]!;
    expect(counts.moving).toBe(3000 - staying);
    // Golden: "alice" is shard 1 of 2 and shard 2 of 3.
    expect([shardIdFor('alice', 2), shardIdFor('alice', 3)]).toEqual([1, 2]);
    expect(counts.misplaced).toEqual([shardIdFor('user-1', 2) === 1 ? 1 : 0, 0]);
    const text = describePlan(plan, counts).join('\n');
    expect(text).toContain('old shard 0 → new shard 0 (same database');
    expect(text).toContain('new shard 2 (new database)');
    expect(text).toMatch(new RegExp(`${counts.moving} of 3000 users move`));
  });
});
