import { describe, expect, it } from 'vitest';
import type { Topology } from '../config/topology.js';
import { HealthChecker, type NodeProber } from './health-checker.js';
import { ReadPolicy } from './read-policy.js';
import { ShardManager } from './shard-manager.js';

const node = (port: number) => ({ host: '127.0.0.1', port, user: 'postgres', password: '', dbname: 'shardgate' });
const topology: Topology = { shards: [{ shardId: 0, primary: node(5000), replicas: [node(5001)] }] };

describe('HealthChecker (fake prober, injected clock)', () => {
  it('ejects a replica that stops answering, reads fall back to the primary, and it returns', async () => {
    const manager = new ShardManager(topology, { failuresToEject: 2, maxLagSeconds: null });
    let replicaUp = true;
    let now = 1_000;
    const prober: NodeProber = async (n) => {
      if (n.role === 'primary') return { inRecovery: false, lsn: '0/5000', replayLagSeconds: null };
      if (!replicaUp) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return { inRecovery: true, lsn: '0/4F00', replayLagSeconds: 0.5 };
    };
    const checker = new HealthChecker(manager, prober, { intervalMs: 1000, timeoutMs: 100, clock: () => now });
    await checker.checkOnce();
    const replica = manager.shard(0).replicas[0]!;
    expect(manager.healthOf(replica)).toMatchObject({ status: 'healthy', lag: { seconds: 0.5, bytes: 0x100 } });

    replicaUp = false;
    now = 2_000;
    await checker.checkOnce();
    expect(manager.isServable(replica)).toBe(true); // one failure is not enough
    now = 3_000;
    await checker.checkOnce();
    expect(manager.healthOf(replica)).toMatchObject({ status: 'ejected', reason: 'unreachable', since: 3_000, lastError: 'ECONNREFUSED' });
    expect(manager.readTargets(0, ReadPolicy.ReplicaPreferred)[0]).toMatchObject({
      node: { role: 'primary' },
      reason: 'no-healthy-replica',
    });

    replicaUp = true;
    now = 4_000;
    await checker.checkOnce();
    expect(manager.healthOf(replica)).toMatchObject({ status: 'healthy', since: 4_000 });
    expect(manager.readTargets(0, ReadPolicy.ReplicaPreferred)[0]!.node.role).toBe('replica');
    await checker.stop();
  });
});
