import { describe, expect, it } from 'vitest';
import type { Topology } from '../config/topology.js';
import { HealthChecker, type NodeProber } from './health-checker.js';
import { ReadPolicy } from './read-policy.js';
import { ProbeTimedOut, type NodeProbe } from './node-probe.js';
import { ShardManager } from './shard-manager.js';

const node = (port: number) => ({ host: '127.0.0.1', port, user: 'postgres', password: '', dbname: 'shardgate' });
const topology: Topology = { shards: [{ shardId: 0, primary: node(5000), replicas: [node(5001)] }] };
const SYS = '7400000000000000001';

/** A fake shard: what each port answers, or null when it is down. */
function fakeNodes(initial: Record<number, Partial<NodeProbe> | null>) {
  const state = { ...initial };
  let probes = 0;
  const prober: NodeProber = async (n) => {
    probes++;
    const answer = state[n.config.port];
    if (!answer) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    return {
      inRecovery: false,
      timeline: 1,
      systemIdentifier: SYS,
      lsn: '0/5000',
      receiveLsn: null,
      streaming: false,
      lastReplayAgeSeconds: null,
      ...answer,
    };
  };
  return { state, prober, probes: () => probes };
}

describe('HealthChecker (fake prober, injected clock)', () => {
  it('ejects a replica that stops answering, reads fall back to the primary, and it returns', async () => {
    const manager = new ShardManager(topology, { failuresToEject: 2, maxLagSeconds: null });
    let now = 1_000;
    const fake = fakeNodes({
      5000: {},
      5001: { inRecovery: true, lsn: '0/4F00', receiveLsn: '0/5000', streaming: true, lastReplayAgeSeconds: 0.5 },
    });
    const checker = new HealthChecker(manager, fake.prober, { intervalMs: 1000, timeoutMs: 100, clock: () => now });
    await checker.checkOnce();
    const replica = manager.shard(0).replicas[0]!;
    expect(manager.healthOf(replica)).toMatchObject({ status: 'healthy', lag: { seconds: 0.5, bytes: 0x100 } });

    const up = fake.state[5001];
    fake.state[5001] = null;
    now = 2_000;
    await checker.checkOnce();
    expect(manager.isServable(replica)).toBe(true); // one failure is not enough
    now = 3_000;
    await checker.checkOnce();
    expect(manager.healthOf(replica)).toMatchObject({ status: 'ejected', reason: 'unreachable', since: 3_000, lastError: 'ECONNREFUSED' });
    expect(manager.readTargets(0, ReadPolicy.ReplicaPreferred)[0]).toMatchObject({
      node: { configuredRole: 'primary' },
      role: 'primary',
      reason: 'no-healthy-replica',
    });

    fake.state[5001] = up!;
    now = 4_000;
    await checker.checkOnce();
    expect(manager.healthOf(replica)).toMatchObject({ status: 'healthy', since: 4_000 });
    expect(manager.readTargets(0, ReadPolicy.ReplicaPreferred)[0]!.role).toBe('replica');
    await checker.stop();
  });

  it('follows a promotion: writes move to the promoted replica, lag is measured against it, the old primary serves nothing', async () => {
    const manager = new ShardManager(topology, { failuresToEject: 1, maxLagSeconds: null });
    const changes: number[] = [];
    manager.onRolesChange((shardId, roles) => roles.primaryChanged && changes.push(shardId));
    const fake = fakeNodes({
      5000: { lsn: '0/9000' },
      5001: { inRecovery: true, lsn: '0/8000', receiveLsn: '0/8000', streaming: true, lastReplayAgeSeconds: 9 },
    });
    const checker = new HealthChecker(manager, fake.prober, { intervalMs: 1000, timeoutMs: 100, clock: () => 1 });
    await checker.checkOnce();
    const [configuredPrimary, configuredReplica] = manager.shard(0).nodes;
    expect(manager.writeTarget(0)?.node).toBe(configuredPrimary);
    expect(manager.healthOf(configuredReplica!).lag).toEqual({ seconds: 0, bytes: 0x1000 });

    // Down: still the primary (nothing else is), but unreachable, so writes wait rather than go elsewhere.
    fake.state[5000] = null;
    await checker.probeShardNow(0);
    expect(manager.writeTarget(0)?.node).toBe(configuredPrimary);
    expect(manager.isReachable(configuredPrimary!)).toBe(false);

    fake.state[5001] = { inRecovery: false, timeline: 2, lsn: '0/A000' };
    await checker.probeShardNow(0);
    expect(manager.writeTarget(0)).toMatchObject({ node: configuredReplica, role: 'primary', reason: 'write' });
    expect(manager.roleOf(configuredReplica!)).toBe('primary');
    // Unreachable, its last word was "primary on timeline 1": shown fenced, never as a second primary.
    expect(manager.roleOf(configuredPrimary!)).toBe('fenced');
    expect(changes).toEqual([0]);

    // The old primary restarts on timeline 1, still out of recovery: it gets nothing, not even reads.
    fake.state[5000] = { timeline: 1 };
    await checker.probeShardNow(0);
    expect(manager.writeTarget(0)?.node).toBe(configuredReplica);
    expect(manager.exclusionOf(configuredPrimary!)).toBe('stale-primary');
    expect([manager.roleOf(configuredPrimary!), manager.roleOf(configuredReplica!)]).toEqual(['fenced', 'primary']);
    expect(manager.isServable(configuredPrimary!)).toBe(false);
    expect(manager.readTargets(0, ReadPolicy.ReplicaPreferred).map((t) => t.node)).toEqual([configuredReplica]);

    // Rejoined as a standby of the new primary: it reads again, and its lag is against the new primary.
    fake.state[5000] = { inRecovery: true, timeline: 2, lsn: '0/9800', receiveLsn: '0/9800', streaming: true, lastReplayAgeSeconds: 0 };
    await checker.probeShardNow(0);
    expect(manager.readTargets(0, ReadPolicy.ReplicaPreferred).map((t) => [t.node, t.role])).toEqual([
      [configuredPrimary, 'replica'],
      [configuredReplica, 'primary'],
    ]);
    expect(manager.healthOf(configuredPrimary!).lag).toEqual({ seconds: 0, bytes: 0x800 });
    expect([manager.roleOf(configuredPrimary!), manager.roleOf(configuredReplica!)]).toEqual(['replica', 'primary']);
    expect(changes).toEqual([0]);
    await checker.stop();
  });

  it('probeShardNow: a burst of callers shares the running probe and one more after it', async () => {
    const manager = new ShardManager(topology);
    const fake = fakeNodes({ 5000: {}, 5001: { inRecovery: true } });
    const checker = new HealthChecker(manager, fake.prober, { intervalMs: 1000, timeoutMs: 100 });
    await Promise.all(Array.from({ length: 50 }, () => checker.probeShardNow(0)));
    // Two rounds of two nodes: the one running when the burst came, and one after it.
    expect(fake.probes()).toBe(4);
    await checker.probeShardNow(0);
    expect(fake.probes()).toBe(6);
    await checker.stop();
  });

  it('a probe that times out while the replica keeps answering statements does not eject it; a stopped replica is still ejected', async () => {
    const manager = new ShardManager(topology, { failuresToEject: 2, maxLagSeconds: null });
    let now = 1_000;
    const fake = fakeNodes({
      5000: {},
      5001: { inRecovery: true, lsn: '0/5000', receiveLsn: '0/5000', streaming: true, lastReplayAgeSeconds: 0 },
    });
    let replicaProbe: 'answer' | 'late' = 'answer';
    let onLateProbe: ((startedAt: number) => void) | undefined;
    // A late probe: the clock moves on by the probe timeout, and the prober reports it ran out of time.
    const prober: NodeProber = async (n, timeoutMs) => {
      if (n.config.port !== 5001 || replicaProbe === 'answer') return fake.prober(n, timeoutMs);
      const startedAt = now;
      onLateProbe?.(startedAt);
      now = startedAt + timeoutMs;
      throw new ProbeTimedOut('timed out: Query read timeout', startedAt);
    };
    const checker = new HealthChecker(manager, prober, { intervalMs: 1000, timeoutMs: 100, clock: () => now });
    await checker.checkOnce();
    const replica = manager.shard(0).replicas[0]!;
    expect(manager.healthOf(replica).status).toBe('healthy');

    // Throttled: every probe is late, but statements on the replica complete while it runs.
    replicaProbe = 'late';
    onLateProbe = (startedAt) => manager.recordAnswer(replica, startedAt + 40);
    for (let round = 0; round < 4; round++) {
      now += 1000;
      await checker.checkOnce();
    }
    expect(manager.healthOf(replica)).toMatchObject({ status: 'healthy', consecutiveFailures: 0 });
    expect(manager.readTargets(0, ReadPolicy.ReplicaPreferred)[0]).toMatchObject({ role: 'replica' });

    // Stopped: the probes are just as late, and nothing else answers any more.
    onLateProbe = undefined;
    now += 1000;
    await checker.checkOnce();
    expect(manager.healthOf(replica)).toMatchObject({ status: 'healthy', consecutiveFailures: 1 });
    now += 1000;
    await checker.checkOnce();
    expect(manager.healthOf(replica)).toMatchObject({ status: 'ejected', reason: 'unreachable' });
    await checker.stop();
  });

  it('a refused probe is a failure even while statements still complete (the node is going away)', async () => {
    const manager = new ShardManager(topology, { failuresToEject: 2, maxLagSeconds: null });
    let now = 1_000;
    const fake = fakeNodes({ 5000: {}, 5001: { inRecovery: true, lsn: '0/5000', receiveLsn: '0/5000', streaming: true } });
    const checker = new HealthChecker(manager, fake.prober, { intervalMs: 1000, timeoutMs: 100, clock: () => now });
    await checker.checkOnce();
    const replica = manager.shard(0).replicas[0]!;
    fake.state[5001] = null;
    for (let round = 0; round < 2; round++) {
      now += 1000;
      manager.recordAnswer(replica, now + 1);
      await checker.checkOnce();
    }
    expect(manager.healthOf(replica)).toMatchObject({ status: 'ejected', reason: 'unreachable', lastError: 'ECONNREFUSED' });
    await checker.stop();
  });
});
