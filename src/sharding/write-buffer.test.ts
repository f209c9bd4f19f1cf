import { describe, expect, it } from 'vitest';
import type { Topology } from '../config/topology.js';
import { ShardManager } from './shard-manager.js';
import { WriteBuffer, type BufferOutcome } from './write-buffer.js';

const node = (port: number) => ({ host: '127.0.0.1', port, user: 'postgres', password: '', dbname: 'shardgate' });
const topology: Topology = {
  shards: [
    { shardId: 0, primary: node(5000), replicas: [node(5001)] },
    { shardId: 1, primary: node(5010), replicas: [] },
  ],
};
const SYS = '7500000000000000001';
const standby = (timeline: number) => ({ role: { inRecovery: true, timeline, systemIdentifier: SYS } });
const primary = (timeline: number) => ({ role: { inRecovery: false, timeline, systemIdentifier: SYS } });

function setup(options: { maxWaitMs?: number; maxWaiting?: number } = {}) {
  const manager = new ShardManager(topology, { failuresToEject: 1, maxLagSeconds: null });
  const [a, b] = manager.shard(0).nodes;
  const probes: number[] = [];
  const buffer = new WriteBuffer(manager, async (shardId) => void probes.push(shardId), {
    maxWaitMs: options.maxWaitMs ?? 2_000,
    maxWaiting: options.maxWaiting ?? 10,
    pollMs: 20,
  });
  const outcomes: [number, BufferOutcome][] = [];
  buffer.onOutcome((shard, outcome) => outcomes.push([shard, outcome]));
  // Shard 0 with both nodes in recovery: a failover in progress, no primary.
  manager.recordSuccess(a!, 1, standby(1));
  manager.recordSuccess(b!, 1, standby(1));
  return { manager, buffer, a: a!, b: b!, probes, outcomes };
}

describe('WriteBuffer', () => {
  it('a write with a primary goes at once and is not counted as buffered', async () => {
    const { manager, buffer, outcomes } = setup();
    const attempt = buffer.attempt(1);
    const slot = await attempt.next();
    attempt.end();
    expect(slot).toMatchObject({ ok: true, target: { node: manager.shard(1).primary, role: 'primary', reason: 'write' } });
    expect(outcomes).toEqual([]);
  });

  it('waits while the shard has no primary, is counted, and goes to the promoted node, probing meanwhile', async () => {
    const { manager, buffer, b, probes, outcomes } = setup();
    const attempt = buffer.attempt(0);
    const pending = attempt.next();
    await new Promise((r) => setTimeout(r, 60));
    expect(buffer.waiting().get(0)).toBe(1);
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.every((s) => s === 0)).toBe(true);
    manager.recordSuccess(b, 2, primary(2));
    const slot = await pending;
    attempt.end();
    expect(slot).toMatchObject({ ok: true, target: { node: b, role: 'primary' } });
    expect(buffer.waiting().get(0)).toBeUndefined();
    expect(outcomes).toEqual([[0, 'sent']]);
  });

  it('gives up after the buffer time, naming the reason', async () => {
    const { buffer, outcomes } = setup({ maxWaitMs: 80 });
    const started = Date.now();
    const attempt = buffer.attempt(0);
    const slot = await attempt.next();
    attempt.end();
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    expect(slot).toEqual({ ok: false, why: 'expired', reason: 'NO_PRIMARY' });
    expect(outcomes).toEqual([[0, 'expired']]);
  });

  it('never waits past the request deadline', async () => {
    const { buffer } = setup({ maxWaitMs: 10_000 });
    const started = Date.now();
    const attempt = buffer.attempt(0, Date.now() + 50);
    expect(await attempt.next()).toMatchObject({ ok: false, why: 'expired' });
    attempt.end();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a split brain fails the write at once, naming the reason: it does not heal by waiting', async () => {
    const { manager, buffer, a, b, outcomes } = setup({ maxWaitMs: 60_000 });
    manager.recordSuccess(a, 2, primary(3));
    manager.recordSuccess(b, 2, primary(3));
    const started = Date.now();
    const attempt = buffer.attempt(0, Date.now() + 60_000);
    expect(await attempt.next()).toEqual({ ok: false, why: 'split-brain', reason: 'SPLIT_BRAIN' });
    attempt.end();
    expect(Date.now() - started).toBeLessThan(30_000); // not the buffer's minute
    expect(buffer.waiting().get(0)).toBeUndefined();
    expect(outcomes).toEqual([]); // it never waited
  });

  it('a write waiting out a failover fails as soon as the shard turns out split-brained', async () => {
    const { manager, buffer, a, b, outcomes } = setup({ maxWaitMs: 60_000 });
    const attempt = buffer.attempt(0);
    const pending = attempt.next();
    await new Promise((r) => setTimeout(r, 30));
    expect(buffer.waiting().get(0)).toBe(1);
    manager.recordSuccess(a, 2, primary(3));
    manager.recordSuccess(b, 2, primary(3));
    expect(await pending).toEqual({ ok: false, why: 'split-brain', reason: 'SPLIT_BRAIN' });
    attempt.end();
    expect(buffer.waiting().get(0)).toBeUndefined();
    expect(outcomes).toEqual([[0, 'expired']]);
  });

  it('at most maxWaiting writes wait; the next fails at once (overflow)', async () => {
    const { manager, buffer, b, outcomes } = setup({ maxWaiting: 2 });
    const waiting = [buffer.attempt(0), buffer.attempt(0)];
    const pending = waiting.map((w) => w.next());
    await new Promise((r) => setTimeout(r, 10));
    const third = buffer.attempt(0);
    expect(await third.next()).toMatchObject({ ok: false, why: 'overflow' });
    third.end();
    manager.recordSuccess(b, 2, primary(2));
    expect((await Promise.all(pending)).every((s) => s.ok)).toBe(true);
    waiting.forEach((w) => w.end());
    expect(outcomes.map(([, o]) => o).sort()).toEqual(['overflow', 'sent', 'sent']);
  });

  it('buffering off: no wait, no retry', async () => {
    const { buffer, outcomes, manager } = setup({ maxWaitMs: 0 });
    const attempt = buffer.attempt(0);
    expect(await attempt.next()).toEqual({ ok: false, why: 'off', reason: 'NO_PRIMARY' });
    const retry = buffer.attempt(1);
    expect(await retry.next({ node: manager.shard(1).primary, role: 'primary', reason: 'write' })).toMatchObject({ ok: false, why: 'off' });
    expect(outcomes).toEqual([]);
  });

  it('after a failed send to a primary that stopped answering, waits for a promotion instead of hammering it', async () => {
    const { manager, buffer, a, b, probes } = setup();
    manager.recordSuccess(a, 2, primary(1));
    const failed = manager.writeTarget(0)!;
    manager.recordFailure(a, 3, 'ECONNREFUSED');
    const attempt = buffer.attempt(0);
    const pending = attempt.next(failed);
    await new Promise((r) => setTimeout(r, 80));
    expect(buffer.waiting().get(0)).toBe(1);
    const probed = probes.length;
    expect(probed).toBeGreaterThan(1);
    manager.recordSuccess(b, 4, primary(2));
    expect(await pending).toMatchObject({ ok: true, target: { node: b } });
    attempt.end();
  });

  it('after a failed send to a primary that still answers (a 25006 refusal, a transient error), tries again after a probe', async () => {
    const { manager, buffer, a, probes } = setup();
    manager.recordSuccess(a, 2, primary(1));
    const failed = manager.writeTarget(0)!;
    const attempt = buffer.attempt(0);
    expect(await attempt.next(failed)).toMatchObject({ ok: true, target: { node: a } });
    expect(probes).toEqual([0]);
    attempt.end();
  });
});
