import { describe, expect, it } from 'vitest';
import type { Topology } from '../config/topology.js';
import { buildShards } from './shard.js';
import { ShardManager } from './shard-manager.js';
import { describeTopologyChange, diffTopology } from './topology-change.js';

const node = (port: number, password = '') => ({ host: '10.0.0.1', port, user: 'app', password, dbname: 'shardgate' });
const before: Topology = {
  shards: [
    { shardId: 0, primary: node(5000), replicas: [node(5001), node(5002)] },
    { shardId: 1, primary: node(5010), replicas: [node(5011)] },
  ],
};

describe('diffTopology', () => {
  it('names added and removed nodes per shard, and nodes listed under another role', () => {
    const after: Topology = {
      shards: [
        // The file updated after a failover (5001 is primary now), 5002 gone, 5003 new.
        { shardId: 0, primary: node(5001), replicas: [node(5000), node(5003)] },
        { shardId: 1, primary: node(5010), replicas: [node(5011)] },
      ],
    };
    const change = diffTopology(buildShards(before), buildShards(after));
    expect(change.shards.map((s) => s.shardId)).toEqual([0]);
    expect(change.added.map((n) => n.address)).toEqual(['10.0.0.1:5003']);
    expect(change.removed.map((n) => n.address)).toEqual(['10.0.0.1:5002']);
    expect(change.shards[0]!.roleChanged.map((n) => `${n.address}:${n.configuredRole}`)).toEqual([
      '10.0.0.1:5001:primary',
      '10.0.0.1:5000:replica',
    ]);
    expect(describeTopologyChange(change)).toEqual([
      'shard 0: added 10.0.0.1:5003 (replica); removed 10.0.0.1:5002; now listed as primary: 10.0.0.1:5001, replica: 10.0.0.1:5000',
    ]);
  });

  it('a new password for the same address is another node (its pool is replaced); nothing changed is nothing', () => {
    const after: Topology = { shards: [before.shards[0]!, { shardId: 1, primary: node(5010, 'new'), replicas: [node(5011)] }] };
    const change = diffTopology(buildShards(before), buildShards(after));
    expect(change.added.map((n) => n.address)).toEqual(['10.0.0.1:5010']);
    expect(change.removed.map((n) => n.address)).toEqual(['10.0.0.1:5010']);
    // The identity key carries a digest of the password, never the password.
    expect(change.added[0]!.key).not.toContain('new');
    expect(change.added[0]!.key).not.toBe(change.removed[0]!.key);
    expect(diffTopology(buildShards(before), buildShards(before))).toEqual({ shards: [], added: [], removed: [] });
  });
});

describe('ShardManager.reconfigure', () => {
  const SYS = '7600000000000000001';
  it('keeps what it knew of unchanged nodes, forgets removed ones, and refuses another shard count', () => {
    const manager = new ShardManager(before, { failuresToEject: 1, maxLagSeconds: null });
    const [p, r1, r2] = manager.shard(0).nodes;
    manager.recordSuccess(p!, 1, { role: { inRecovery: true, timeline: 2, systemIdentifier: SYS } });
    manager.recordSuccess(r1!, 1, { role: { inRecovery: false, timeline: 2, systemIdentifier: SYS } });
    manager.recordSuccess(r2!, 1, { role: { inRecovery: true, timeline: 2, systemIdentifier: SYS } });
    expect(manager.writeTarget(0)?.node.address).toBe('10.0.0.1:5001');

    const after: Topology = { shards: [{ shardId: 0, primary: node(5000), replicas: [node(5001), node(5003)] }, before.shards[1]!] };
    const change = manager.reconfigure(after, 2);
    expect(change.removed.map((n) => n.address)).toEqual(['10.0.0.1:5002']);
    // The observed primary is still the primary (same key, new record), without waiting for a probe.
    expect(manager.writeTarget(0)?.node.address).toBe('10.0.0.1:5001');
    expect(manager.rolesOf(0).replicas.map((n) => n.address)).toEqual(['10.0.0.1:5000']);
    // The new node serves nothing until it has been probed.
    const added = manager.shard(0).replicas[1]!;
    expect(manager.exclusionOf(added)).toBe('unobserved');
    manager.recordSuccess(added, 3, { role: { inRecovery: true, timeline: 2, systemIdentifier: SYS } });
    expect(manager.rolesOf(0).replicas.map((n) => n.address)).toEqual(['10.0.0.1:5000', '10.0.0.1:5003']);
    // A record of a removed node (held by a request in flight) changes nothing.
    manager.recordFailure(r2!, 4, 'ECONNREFUSED');
    expect(manager.healthOf(r2!).status).toBe('unknown');

    expect(() => manager.reconfigure({ shards: [before.shards[0]!] }, 5)).toThrow(/shard count cannot change/);
    expect(manager.shardCount).toBe(2);
  });
});
