import { describe, expect, it } from 'vitest';
import type { Topology } from '../config/topology.js';
import { ReadPolicy } from './read-policy.js';
import { ShardManager } from './shard-manager.js';

const node = (port: number) => ({ host: '127.0.0.1', port, user: 'postgres', password: '', dbname: 'shardgate' });
const topology = (...ports: number[]): Topology => ({
  shards: ports.map((p, i) => ({ shardId: i, primary: node(p), replicas: [node(p + 1)] })),
});
const primary = { inRecovery: false, timeline: 1, systemIdentifier: 'a' };

describe('ShardManager.reconfigure with a recorded layout of another shard count', () => {
  it('is refused without allowShardCountChange, as a SIGHUP reload is', () => {
    const manager = new ShardManager(topology(5000, 5010));
    expect(() => manager.reconfigure(topology(5000, 5010, 6000), 0)).toThrow(/shard count cannot change/);
    expect(manager.shardCount).toBe(2);
  });

  it('2 → 3: routing uses the new count at once, kept nodes keep their health, the new shard starts from its file roles', () => {
    const manager = new ShardManager(topology(5000, 5010));
    const kept = manager.shard(0).primary;
    manager.recordSuccess(kept, 10, { role: primary });
    const change = manager.reconfigure(topology(5000, 5010, 6000), 20, { allowShardCountChange: true });
    expect(manager.shardCount).toBe(3);
    expect(manager.shardIdOf('alice')).toBe(2);
    expect(change.added.map((n) => n.address)).toEqual(['127.0.0.1:6000', '127.0.0.1:6001']);
    expect(change.removed).toEqual([]);
    expect(manager.healthOf(manager.shard(0).primary).checkedAt).toBe(10);
    expect(manager.writeTarget(2)?.node.address).toBe('127.0.0.1:6000');
    expect(manager.readTargets(2, ReadPolicy.ReplicaPreferred)[0]?.node.address).toBe('127.0.0.1:6001');
  });

  it('3 → 2: the third shard is gone from routing and from the node list', () => {
    const manager = new ShardManager(topology(5000, 5010, 5020));
    const change = manager.reconfigure(topology(5000, 5010), 5, { allowShardCountChange: true });
    expect(manager.shardCount).toBe(2);
    expect(manager.allShards().map((s) => s.id)).toEqual([0, 1]);
    expect(change.removed.map((n) => n.address)).toEqual(['127.0.0.1:5020', '127.0.0.1:5021']);
    expect(manager.allNodes().some((n) => n.address === '127.0.0.1:5020')).toBe(false);
    expect(() => manager.writeTarget(2)).toThrow(RangeError);
  });
});
