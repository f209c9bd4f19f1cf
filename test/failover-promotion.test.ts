import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, openGatewayFixture, testGatewayOptions, type GatewayFixture } from './support/gateway-fixture.js';
import { clusterNode, crashNode, dropSynchronousStandbys, makeSynchronous, promoteNode } from './support/manual-failover.js';
import { select, parsePrometheusText } from './support/prometheus-text.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { createUserThrough, measureOutage, startWriteLoad, type WriteRecord } from './support/write-load.js';
import { sleep } from '../testkit/eventually.js';
import { directQuery } from '../testkit/pg-session.js';
import { emailBesideUser } from './support/email-on-shard.js';

// A crash of a synchronous shard's primary, promoted by hand the way an
// operator or an orchestrator does it, under a steady write load: shardgate
// must follow without a restart, lose nothing acknowledged, and never send a
// statement to the old primary when it comes back on its old timeline.
const SHARD = 1;
const WRITERS = 6;

let cluster: ThrowawayCluster;
let fx: GatewayFixture;

beforeAll(async () => {
  cluster = await startThrowawayCluster({ shards: 3, replicas: 1, name: 'promotion' });
  fx = await openGatewayFixture(cluster.topologyPath, testGatewayOptions(), {});
});
afterAll(async () => {
  await fx?.close();
  await cluster?.destroy();
});

const createUser = (userId: string) => createUserThrough(fx, 3)(userId);

async function usersOn(port: number, userIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await directQuery<{ user_id: string; n: number }>(
    { port, dbname: 'shardgate' },
    'SELECT user_id, count(*)::int AS n FROM users WHERE user_id = ANY($1::varchar[]) GROUP BY user_id',
    [userIds],
  );
  return new Map(rows.map((r) => [r.user_id, r.n]));
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await fx.observability!.metrics.scrape();
  return select(parsePrometheusText(text), name, labels).reduce((sum, s) => sum + s.value, 0);
}

describe('manual failover of a synchronous shard under write load', () => {
  let records: WriteRecord[] = [];
  let crashStarted = 0;
  let crashDone = 0;
  let promoting = 0;
  let promoted = 0;

  it('follows the promotion within seconds, no restart: only writes in flight at the crash fail, other shards never notice, nothing acknowledged is lost', async () => {
    const oldPrimary = await clusterNode(cluster.dir, SHARD, 'primary');
    const replica = await clusterNode(cluster.dir, SHARD, 'replica');
    await makeSynchronous(oldPrimary.port);

    const load = startWriteLoad(WRITERS, 'fo', 3, createUser);
    const okOn = (shard: number, after = 0) => load.records.filter((r) => r.ok && r.shardId === shard && r.start >= after).length;
    await eventually(() => [0, 1, 2].every((s) => okOn(s) >= 20), 20_000, 'a steady write load on every shard');

    crashStarted = Date.now();
    await crashNode(oldPrimary);
    crashDone = Date.now();
    // An orchestrator needs a moment to decide; writes to the shard wait meanwhile,
    // but never past their own deadline: that one answers SHARD_TIMEOUT, not SHARD_UNAVAILABLE.
    // Asked once the gateway routes nothing to the crashed primary, so it meets the wait, not a broken connection.
    const oldPrimaryLabels = { shard: String(SHARD), address: `127.0.0.1:${oldPrimary.port}` };
    await eventually(
      async () => (await metric('shardgate_node_serving', oldPrimaryLabels)) === 0,
      15_000,
      'the gateway to stop routing to the crashed primary',
    );
    let impatient = 0;
    while (fx.shards.users.shardIdOf(`impatient-${impatient}`) !== SHARD) impatient++;
    const asked = Date.now();
    const timedOut = await fx.gql(
      `mutation($u: CreateUserInput!) { createUser(input: $u) { userId } }`,
      { u: { userId: `impatient-${impatient}`, name: 'N', email: emailBesideUser(`impatient-${impatient}`, 3) } },
      { 'shardgate-timeout-ms': '300' },
    );
    const answeredAfter = Date.now() - asked;
    // Its own deadline ended the wait (SHARD_TIMEOUT, not the buffer giving up with SHARD_UNAVAILABLE,
    // nor a write to the new primary: the promotion has not started), and not before it came.
    expect(timedOut.errors?.[0]?.extensions).toEqual({ code: 'SHARD_TIMEOUT', shardId: SHARD });
    expect(answeredAfter).toBeGreaterThanOrEqual(290);
    // The orchestrator's decision: the promotion comes a second after the crash (pacing, not a wait for a condition).
    await sleep(Math.max(0, 1_000 - (Date.now() - crashDone)));
    promoting = Date.now();
    await promoteNode(replica);
    await dropSynchronousStandbys(replica.port);
    promoted = Date.now();
    await eventually(() => okOn(SHARD, promoted) >= 20, 15_000, 'writes on the new primary');
    records = await load.stop();

    const outage = measureOutage(records, SHARD);
    const shardWrites = records.filter((r) => r.shardId === SHARD);
    const firstAfter = shardWrites.filter((r) => r.ok && r.start >= crashDone).sort((a, b) => a.end - b.end)[0]!;
    const longest = Math.max(...shardWrites.map((r) => r.end - r.start));
    console.log(
      `[failover manual] writes=${records.length} shard${SHARD}: ${outage.writes} writes, ${outage.failed} failed, outage(first failed→first ok)=${outage.outageMs} ms, ` +
        `crash→first ok write=${firstAfter.end - crashStarted} ms (1000 ms of it waiting to promote), pg_ctl promote→first ok write=${firstAfter.end - promoting} ms, ` +
        `longest write=${longest} ms, buffered writes sent=${await metric('shardgate_buffered_writes_total', { shard: String(SHARD), outcome: 'sent' })}, ` +
        `failed (start..end after the crash, ms)=${shardWrites
          .filter((r) => !r.ok)
          .map((r) => `${r.start - crashDone}..${r.end - crashDone} ${r.code}`)
          .join(', ')}`,
    );

    // Resumed on the new primary within a few seconds of the promotion.
    expect(firstAfter.end - promoting).toBeLessThan(5_000);
    // Only writes that met a connection the crash broke may fail, and only as
    // SHARD_UNAVAILABLE: one in flight at the crash, or one sent on a pooled
    // connection in the moment between the node's death and the gateway
    // reading its end (whether such a write was applied is unknown, so it is
    // not retried). That moment is not the test's `crashDone`: pg_ctl returns
    // up to 100 ms after the backends died, and under load the gateway may
    // read a connection's end a few ms after pg_ctl returned. So the bound is
    // causal, not a clock: each broken connection fails at most one write
    // before it is destroyed, and every failure comes before the promotion
    // (a write that waits for it never fails).
    const failed = shardWrites.filter((r) => !r.ok);
    expect(failed.length).toBeLessThanOrEqual(testGatewayOptions().pool.max);
    for (const r of failed) {
      expect(r.code).toBe('SHARD_UNAVAILABLE');
      expect(r.end).toBeLessThan(promoting);
    }
    // Other shards never noticed.
    expect(records.filter((r) => r.shardId !== SHARD && !r.ok)).toEqual([]);

    // Every acknowledged write is there exactly once: on the promoted node for the failed-over shard.
    const topology = cluster.topology;
    for (const shardId of [0, 1, 2]) {
      const port = shardId === SHARD ? replica.port : topology.shards[shardId]!.primary.port;
      const acked = records.filter((r) => r.ok && r.shardId === shardId).map((r) => r.userId);
      const found = await usersOn(port, acked);
      expect(acked.filter((id) => found.get(id) !== 1)).toEqual([]);
    }

    const manager = fx.shards.manager;
    const newPrimary = manager.shard(SHARD).replicas[0]!;
    expect(manager.writeTarget(SHARD)?.node.key).toBe(newPrimary.key);
    expect(manager.roleOf(newPrimary)).toBe('primary');
    expect(await metric('shardgate_primary_changes_total', { shard: String(SHARD) })).toBe(1);
    expect(await metric('shardgate_primary_changes_total', { shard: '0' })).toBe(0);
    expect(await metric('shardgate_buffered_writes_total', { shard: String(SHARD), outcome: 'sent' })).toBeGreaterThan(0);
    expect(await metric('shardgate_buffered_writes', { shard: String(SHARD) })).toBe(0);
    const shards = await fx.gql('{ shards { id nodes { address role healthy } } }');
    // The crashed primary's last word was "primary on timeline 1": superseded, it is fenced, never a second PRIMARY.
    expect(shards.data.shards[SHARD].nodes).toEqual([
      { address: manager.shard(SHARD).primary.address, role: 'FENCED', healthy: false },
      { address: newPrimary.address, role: 'PRIMARY', healthy: true },
    ]);
    for (const s of shards.data.shards.filter((s: { id: number }) => s.id !== SHARD)) {
      expect(s.nodes.map((n: { role: string }) => n.role)).toEqual(['PRIMARY', 'REPLICA']);
    }
    const oldAddress = manager.shard(SHARD).primary.address;
    expect(await metric('shardgate_node_up', { shard: String(SHARD), role: 'fenced', address: oldAddress })).toBe(0);
    expect(await metric('shardgate_node_up', { shard: String(SHARD), role: 'primary', address: newPrimary.address })).toBe(1);
    const ready = await fx.app.fetch('http://gateway.test/readyz');
    expect(ready.status).toBe(200);
    expect((await ready.json()).fencedNodes).toEqual([{ shardId: SHARD, address: oldAddress, role: 'FENCED', reason: 'stale-primary' }]);
  });

  it('the old primary restarted on its old timeline gets not one statement, reads included', async () => {
    const manager = fx.shards.manager;
    const oldPrimary = manager.shard(SHARD).primary;
    const oldPort = (await clusterNode(cluster.dir, SHARD, 'primary')).port;
    await cluster.startNode(SHARD, 'primary');
    // It is up and out of recovery, on timeline 1; the shard is on timeline 2.
    await eventually(() => manager.exclusionOf(oldPrimary) === 'stale-primary', 10_000, 'the old primary seen as stale');
    expect(manager.observationOf(oldPrimary)).toMatchObject({ inRecovery: false, timeline: 1 });
    expect(manager.rolesOf(SHARD).timeline).toBe(2);
    const roles = await fx.gql('{ shards { id nodes { role healthy } } }');
    expect(roles.data.shards[SHARD].nodes).toEqual([
      { role: 'FENCED', healthy: false },
      { role: 'PRIMARY', healthy: true },
    ]);
    const rowsBefore = (
      await usersOn(
        oldPort,
        records.filter((r) => r.shardId === SHARD).map((r) => r.userId),
      )
    ).size;

    fx.recorder.reset();
    const load = startWriteLoad(WRITERS, 'back', 3, createUser);
    const known = records
      .filter((r) => r.ok && r.shardId === SHARD)
      .slice(0, 20)
      .map((r) => r.userId);
    for (let round = 0; round < 5; round++) {
      for (const consistency of ['EVENTUAL', 'STRONG']) {
        const r = await fx.gql(`query($ids: [ID!]!) { usersByIds(userIds: $ids, consistency: ${consistency}) { userId } }`, { ids: known });
        expect(r.errors).toBeUndefined();
        expect(r.data.usersByIds.map((u: { userId: string } | null) => u?.userId)).toEqual(known);
      }
      expect((await fx.gql('{ users(first: 5) { totalCount } }')).errors).toBeUndefined();
    }
    await eventually(
      () => load.records.filter((r) => r.ok && r.shardId === SHARD).length >= 20,
      15_000,
      'writes during the old primary being back',
    );
    const after = await load.stop();

    expect(after.filter((r) => !r.ok)).toEqual([]);
    const toOld = fx.recorder.statements.filter((s) => s.nodeId === oldPrimary.id);
    expect(toOld).toEqual([]);
    expect(fx.recorder.statements.filter((s) => s.shardId === SHARD).length).toBeGreaterThan(20);
    // And seen from the old primary itself: not one of the new writes landed there.
    const landed = await usersOn(
      oldPort,
      after.filter((r) => r.shardId === SHARD).map((r) => r.userId),
    );
    expect(landed.size).toBe(0);
    expect(
      (
        await usersOn(
          oldPort,
          records.filter((r) => r.shardId === SHARD).map((r) => r.userId),
        )
      ).size,
    ).toBe(rowsBefore);
    expect((await fx.app.fetch('http://gateway.test/readyz')).status).toBe(200);
  });
});
