import { describe, expect, it } from 'vitest';
import type { Topology } from '../config/topology.js';
import { chooseReadTargets } from './choose-read-targets.js';
import { ReadPolicy, readPolicyFor } from './read-policy.js';
import { buildShards } from './shard.js';
import { ShardManager } from './shard-manager.js';

const node = (port: number) => ({ host: '127.0.0.1', port, user: 'postgres', password: '', dbname: 'shardgate' });
const topology: Topology = {
  shards: [
    { shardId: 0, primary: node(5000), replicas: [node(5001), node(5002)] },
    { shardId: 1, primary: node(5010), replicas: [] },
  ],
};
const [shard0, shard1] = buildShards(topology);

describe('chooseReadTargets', () => {
  it('STRONG reads go to the primary only', () => {
    const targets = chooseReadTargets(shard0!, ReadPolicy.PrimaryOnly, () => true, 0);
    expect(targets.map((t) => [t.node.id, t.reason])).toEqual([['shard0/127.0.0.1:5000', 'strong-read']]);
  });

  it('EVENTUAL reads rotate over healthy replicas, primary last', () => {
    const a = chooseReadTargets(shard0!, ReadPolicy.ReplicaPreferred, () => true, 0);
    const b = chooseReadTargets(shard0!, ReadPolicy.ReplicaPreferred, () => true, 1);
    expect(a.map((t) => t.node.id)).toEqual(['shard0/127.0.0.1:5001', 'shard0/127.0.0.1:5002', 'shard0/127.0.0.1:5000']);
    expect(b.map((t) => t.node.id)).toEqual(['shard0/127.0.0.1:5002', 'shard0/127.0.0.1:5001', 'shard0/127.0.0.1:5000']);
    expect(a.map((t) => t.reason)).toEqual(['replica-read', 'replica-read', 'replica-failed']);
  });

  it('skips ejected replicas', () => {
    const targets = chooseReadTargets(shard0!, ReadPolicy.ReplicaPreferred, (n) => n.id !== 'shard0/127.0.0.1:5001', 0);
    expect(targets.map((t) => t.node.id)).toEqual(['shard0/127.0.0.1:5002', 'shard0/127.0.0.1:5000']);
  });

  it('falls open to the primary when no replica is healthy, or none exists', () => {
    const none = chooseReadTargets(shard0!, ReadPolicy.ReplicaPreferred, (n) => n.configuredRole === 'primary', 7);
    expect(none.map((t) => [t.node.id, t.reason])).toEqual([['shard0/127.0.0.1:5000', 'no-healthy-replica']]);
    const noReplicas = chooseReadTargets(shard1!, ReadPolicy.ReplicaPreferred, () => true, 0);
    expect(noReplicas.map((t) => [t.node.id, t.reason])).toEqual([['shard1/127.0.0.1:5010', 'no-healthy-replica']]);
  });

  it('without a primary (failover, split brain): STRONG reads have no node, EVENTUAL reads only replicas', () => {
    const view = { primary: null, replicas: shard0!.replicas };
    expect(chooseReadTargets(view, ReadPolicy.PrimaryOnly, () => true, 0)).toEqual([]);
    expect(chooseReadTargets(view, ReadPolicy.ReplicaPreferred, () => true, 0).map((t) => [t.node.id, t.role])).toEqual([
      ['shard0/127.0.0.1:5001', 'replica'],
      ['shard0/127.0.0.1:5002', 'replica'],
    ]);
    expect(chooseReadTargets(view, ReadPolicy.ReplicaPreferred, () => false, 0)).toEqual([]);
  });

  it('routes by observed role: a configured replica that is primary takes the primary place', () => {
    const view = { primary: shard0!.replicas[0]!, replicas: [shard0!.primary] };
    expect(chooseReadTargets(view, ReadPolicy.PrimaryOnly, () => true, 0).map((t) => [t.node.id, t.role])).toEqual([
      ['shard0/127.0.0.1:5001', 'primary'],
    ]);
    expect(chooseReadTargets(view, ReadPolicy.ReplicaPreferred, () => true, 0).map((t) => [t.node.id, t.role, t.reason])).toEqual([
      ['shard0/127.0.0.1:5000', 'replica', 'replica-read'],
      ['shard0/127.0.0.1:5001', 'primary', 'replica-failed'],
    ]);
  });

  it('maps GraphQL consistency onto policies', () => {
    expect(readPolicyFor('EVENTUAL')).toBe(ReadPolicy.ReplicaPreferred);
    expect(readPolicyFor('STRONG')).toBe(ReadPolicy.PrimaryOnly);
  });
});

describe('ShardManager', () => {
  it('round-robins replicas per shard and follows health', () => {
    const manager = new ShardManager(topology, { failuresToEject: 1, maxLagSeconds: null });
    const first = [0, 1, 2, 3].map(() => manager.readTargets(0, ReadPolicy.ReplicaPreferred)[0]!.node.id);
    expect(first).toEqual(['shard0/127.0.0.1:5001', 'shard0/127.0.0.1:5002', 'shard0/127.0.0.1:5001', 'shard0/127.0.0.1:5002']);
    const replica0 = manager.shard(0).replicas[0]!;
    const changes: string[] = [];
    manager.onHealthChange((n, h) => changes.push(`${n.id}:${h.status}`));
    manager.recordFailure(replica0, 100, 'ECONNREFUSED');
    expect([0, 1, 2].map(() => manager.readTargets(0, ReadPolicy.ReplicaPreferred)[0]!.node.id)).toEqual([
      'shard0/127.0.0.1:5002',
      'shard0/127.0.0.1:5002',
      'shard0/127.0.0.1:5002',
    ]);
    manager.recordSuccess(replica0, 200, { lag: { seconds: 0, bytes: 0 } });
    expect(changes).toEqual(['shard0/127.0.0.1:5001:ejected', 'shard0/127.0.0.1:5001:healthy']);
  });

  it('routes keys with the hash', () => {
    const three: Topology = {
      shards: [0, 1, 2].map((id) => ({ shardId: id, primary: node(6000 + id * 2), replicas: [node(6001 + id * 2)] })),
    };
    const manager = new ShardManager(three);
    expect(manager.shardIdOf('alice')).toBe(2);
    expect(manager.writeTarget(manager.shardIdOf('alice'))).toMatchObject({ node: { id: 'shard2/127.0.0.1:6004' }, reason: 'write' });
    expect(manager.readTargets(manager.shardIdOf('user-42'), ReadPolicy.ReplicaPreferred)[0]).toMatchObject({
      node: { id: 'shard0/127.0.0.1:6001', address: '127.0.0.1:6001' },
      reason: 'replica-read',
    });
    expect(manager.allShards().map((s) => s.id)).toEqual([0, 1, 2]);
    expect(() => manager.shard(3)).toThrow(RangeError);
  });
  it('leaves out replicas that are not fresh enough; the primary serves when none is', () => {
    const fresh = (n: { id: string }) => n.id === 'shard0/127.0.0.1:5002';
    const some = chooseReadTargets(shard0!, ReadPolicy.ReplicaPreferred, () => true, 0, { fresh });
    expect(some.map((t) => [t.node.id, t.reason])).toEqual([
      ['shard0/127.0.0.1:5002', 'replica-read'],
      ['shard0/127.0.0.1:5000', 'replica-failed'],
    ]);
    const none = chooseReadTargets(shard0!, ReadPolicy.ReplicaPreferred, () => true, 0, { fresh: () => false });
    expect(none.map((t) => [t.node.id, t.reason])).toEqual([['shard0/127.0.0.1:5000', 'stale-replicas']]);
    // STRONG is not narrowed.
    expect(chooseReadTargets(shard0!, ReadPolicy.PrimaryOnly, () => true, 0, { fresh: () => false })).toHaveLength(1);
  });

  it('tries a suspect replica (a missed probe) only after the primary', () => {
    const suspect = (n: { id: string }) => n.id === 'shard0/127.0.0.1:5001';
    for (const turn of [0, 1]) {
      const targets = chooseReadTargets(shard0!, ReadPolicy.ReplicaPreferred, () => true, turn, { suspect });
      expect(targets.map((t) => [t.node.id, t.reason])).toEqual([
        ['shard0/127.0.0.1:5002', 'replica-read'],
        ['shard0/127.0.0.1:5000', 'replica-failed'],
        ['shard0/127.0.0.1:5001', 'suspect-replica'],
      ]);
    }
    const all = chooseReadTargets(shard0!, ReadPolicy.ReplicaPreferred, () => true, 0, { suspect: () => true });
    expect(all.map((t) => t.reason)).toEqual(['no-healthy-replica', 'suspect-replica', 'suspect-replica']);
  });

  it('ShardManager: a staleness bound admits replicas whose measured lag is within it, never an unknown lag', () => {
    const manager = new ShardManager(topology);
    const [p, r1, r2] = manager.shard(0).nodes;
    manager.recordSuccess(p!, 1, { role: { inRecovery: false, timeline: 1, systemIdentifier: '1' } });
    manager.recordSuccess(r1!, 1, { role: { inRecovery: true, timeline: 1, systemIdentifier: '1' }, lag: { seconds: 0.2, bytes: 0 } });
    manager.recordSuccess(r2!, 1, { role: { inRecovery: true, timeline: 1, systemIdentifier: '1' } });
    const ids = (ms: number) => manager.readTargets(0, ReadPolicy.ReplicaPreferred, { maxStalenessMs: ms }).map((t) => t.node.id);
    expect(ids(500)).toEqual(['shard0/127.0.0.1:5001', 'shard0/127.0.0.1:5000']);
    expect(ids(100)).toEqual(['shard0/127.0.0.1:5000']);
    manager.recordFailure(r1!, 2, 'timeout');
    expect(manager.readTargets(0, ReadPolicy.ReplicaPreferred).map((t) => t.reason)).toEqual([
      'replica-read',
      'replica-failed',
      'suspect-replica',
    ]);
  });
});
