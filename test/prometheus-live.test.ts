/**
 * The monitoring files against the real thing: a real gateway over a real
 * cluster, scraped by a real Prometheus (on a free 127.0.0.1 port, 1 s
 * scrape and evaluation intervals) that loads docker/prometheus/prometheus.yml
 * with both rule files. After a known workload, `promtool check metrics`
 * finds nothing to say about /metrics; every rule evaluates; every recording
 * rule, every dashboard query and every example of docs/observability.md returns data; and
 * stopping a replica makes ShardgateNodeDown pending for that node. The
 * cluster is this file's own (2 shards, 1 replica each): it stops a node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../src/server/start-gateway.js';
import { startTestGateway } from './support/gateway-fixture.js';
import {
  alertingRules,
  dashboard,
  dashboardTargets,
  grafanaToPromql,
  metricNamesIn,
  PROMETHEUS_CONFIG,
  docsPromql,
  recordingRules,
} from './support/monitoring-files.js';
import { startPrometheus, waitUntil, type PrometheusServer, type VectorSample } from './support/prometheus-server.js';
import { promtool } from './support/prometheus-tools.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { idOnShard } from './support/id-on-shard.js';

const SHARDS = 2;
const SEEDED = 24;

let cluster: ThrowawayCluster;
let gateway: RunningGateway;
let prometheus: PrometheusServer;
let base = '';

async function gql(
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ data?: any; errors?: { extensions?: { code?: string } }[] }> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
}

const create = (userId: string) =>
  gql('mutation($u: CreateUserInput!) { createUser(input: $u) { userId } }', { u: { userId, name: 'N', email: 'n@example.com' } });

/** Reads and writes on every shard, a refused duplicate, a scatter, and an operation refused before execution. */
async function workload(): Promise<void> {
  for (let shard = 0; shard < SHARDS; shard++) {
    const seeded = idOnShard(shard, SHARDS, 'seed');
    const fresh = idOnShard(shard, SHARDS, 'workload');
    expect((await create(fresh)).errors).toBeUndefined();
    expect((await create(fresh)).errors?.[0]?.extensions?.code).toBe('USER_ALREADY_EXISTS');
    expect(
      (await gql('mutation($id: ID!) { updateUser(userId: $id, input: {name: "M"}) { userId } }', { id: seeded })).errors,
    ).toBeUndefined();
    expect((await gql('mutation($id: ID!) { deleteUser(userId: $id) }', { id: fresh })).errors).toBeUndefined();
    expect((await gql('query($id: ID!) { user(userId: $id) { userId } }', { id: seeded })).errors).toBeUndefined();
    expect((await gql('query($id: ID!) { user(userId: $id, consistency: STRONG) { userId } }', { id: seeded })).errors).toBeUndefined();
  }
  const ids = Array.from({ length: SEEDED }, (_, i) => `seed-${i}`);
  expect((await gql('query($ids: [ID!]!) { usersByIds(userIds: $ids) { userId } }', { ids })).errors).toBeUndefined();
  expect((await gql('{ users(first: 5) { totalCount edges { node { userId } } } }')).errors).toBeUndefined();
  expect((await gql('{ user(userId: "x") { userId }')).errors).toHaveLength(1);
}

/** A result counts as data when it has a sample with a number (not NaN) in it. */
const hasData = (samples: readonly VectorSample[]) => samples.some((s) => !Number.isNaN(Number(s.value[1])));

/**
 * Evaluates every query until each has returned data once, or the time is
 * up; then fails naming those that never did, with what they last returned.
 */
async function expectEachReturnsData(queries: readonly { name: string; promql: string }[], timeoutMs = 30_000): Promise<void> {
  const pending = new Map(queries.map((q) => [q.name, { promql: q.promql, last: [] as VectorSample[] }]));
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0 && Date.now() < deadline) {
    for (const [name, query] of pending) {
      query.last = await prometheus.query(query.promql);
      if (hasData(query.last)) pending.delete(name);
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const empty = [...pending].map(([name, q]) => `${name}\n  ${q.promql}\n  returned ${JSON.stringify(q.last)}`);
  expect(empty, `queries without data after ${timeoutMs} ms`).toEqual([]);
}

beforeAll(async () => {
  cluster = await startThrowawayCluster({ shards: SHARDS, replicas: 1 });
  gateway = await startTestGateway(cluster.topologyPath);
  base = `http://127.0.0.1:${gateway.port}`;
  for (let i = 0; i < SEEDED; i++) expect((await create(`seed-${i}`)).errors).toBeUndefined();
  // The user counts are taken on replicas when first scraped: let them catch up first.
  await waitUntil(
    async () =>
      (await gql('{ shards { userCount } }')).data?.shards.reduce((n: number, s: { userCount: number }) => n + s.userCount, 0) === SEEDED,
    15_000,
    'the seeded users on the replicas',
  );
  prometheus = await startPrometheus({ configPath: PROMETHEUS_CONFIG, target: `127.0.0.1:${gateway.port}` });
  // Counters must grow between scrapes for rates to be non-zero: the workload comes after the first one.
  await waitUntil(async () => (await prometheus.query('up{job="shardgate"} == 1')).length === 1, 20_000, 'the first scrape of the gateway');
  await workload();
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await gateway?.close();
  await cluster?.destroy();
}, 60_000);

describe('a real Prometheus over a real gateway', () => {
  it('promtool check metrics finds no problem in the live /metrics after the workload', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    // The workload is in it: a refused duplicate on each shard, the pools' capacity, the process metrics.
    for (const shard of ['0', '1'])
      expect(text).toContain(`shardgate_shard_queries_total{shard="${shard}",role="primary",operation="INSERT",outcome="error"} 1`);
    expect(text).toMatch(/^shardgate_pool_connections_max\{shard="0",role="replica"\} 4$/m);
    expect(text).toContain('shardgate_process_cpu_seconds_total');
    const check = await promtool(['check', 'metrics'], { input: text });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.code).toBe(0);
    // The check has teeth: a gauge named like a counter is reported.
    const flawed = `${text}# HELP shardgate_bad_total A gauge named like a counter.\n# TYPE shardgate_bad_total gauge\nshardgate_bad_total 1\n`;
    const flagged = await promtool(['check', 'metrics'], { input: flawed });
    expect(flagged.code).not.toBe(0);
    expect(flagged.stdout + flagged.stderr).toContain('shardgate_bad_total');
  });

  it('loads both rule files and evaluates every rule without error', async () => {
    const expected = [...recordingRules().map((r) => r.record), ...alertingRules().map((a) => a.alert)].sort();
    await waitUntil(async () => (await prometheus.rules()).every((r) => r.health === 'ok'), 20_000, 'every rule to be evaluated');
    const rules = await prometheus.rules();
    expect(rules.map((r) => r.name).sort()).toEqual(expected);
    expect(rules.filter((r) => r.health !== 'ok' || r.lastError)).toEqual([]);
  });

  it('every recording rule and every dashboard query returns data', async () => {
    // The shard variable's query, as Grafana runs it (label_values(shardgate_node_up, shard)).
    const shards = await prometheus.api<string[]>(`/api/v1/label/shard/values?match[]=${encodeURIComponent('shardgate_node_up')}`);
    expect(shards).toEqual(['0', '1']);
    expect(dashboard().templating.list.find((v) => v.name === 'shard')?.definition).toBe('label_values(shardgate_node_up, shard)');
    await expectEachReturnsData([
      ...recordingRules().map((r) => ({ name: `recording rule ${r.record}`, promql: r.record })),
      ...dashboardTargets().map((t) => ({
        name: `panel "${t.panel}" ${t.refId}`,
        // With every shard chosen, as Grafana sends the variable: a regex of the values.
        promql: grafanaToPromql(t.expr, { shards, rateInterval: '1m' }),
      })),
    ]);
  });

  it('every metric that the rules, the dashboard and docs/observability.md read is one the gateway exports', async () => {
    const exported = new Set(await prometheus.api<string[]>('/api/v1/label/__name__/values'));
    const read = new Set(
      [
        ...alertingRules().map((a) => a.expr),
        ...recordingRules().map((r) => r.expr),
        ...dashboardTargets().map((t) => t.expr),
        ...docsPromql().map((e) => e.expr),
      ].flatMap(metricNamesIn),
    );
    expect(read.size).toBeGreaterThan(10);
    const unknown = [...read].filter((name) => !exported.has(name));
    expect(unknown).toEqual([]);
  });

  it('stopping a replica makes ShardgateNodeDown pending for it, and then every example of docs/observability.md returns data', async () => {
    const replica = gateway.shards.manager.shard(1).replicas[0]!;
    const nodeAlerts = async () =>
      (await prometheus.alerts()).filter((a) => ['ShardgateNodeDown', 'ShardgateShardWithoutPrimary'].includes(a.labels.alertname ?? ''));
    // Healthy: silent. (Waited for, not asserted at once: on a loaded machine a
    // health probe may time out now and then, and its pending alert clears.)
    await waitUntil(async () => (await nodeAlerts()).length === 0, 20_000, 'no node alert while every node runs');

    await cluster.stopNode(1, 'replica');
    // Then exactly one: for the stopped replica.
    await waitUntil(
      async () => {
        const alerts = await nodeAlerts();
        return alerts.length === 1 && alerts[0]?.labels.address === replica.address;
      },
      20_000,
      'ShardgateNodeDown to be pending for the stopped replica, and no other node alert',
    );
    const [alert] = await nodeAlerts();
    // Pending: true now, firing only after its `for:` (1 minute).
    expect(alert?.state).toBe('pending');
    expect(alert?.labels).toMatchObject({
      alertname: 'ShardgateNodeDown',
      severity: 'warning',
      shard: '1',
      role: 'replica',
      address: replica.address,
    });
    expect(alert?.annotations.summary).toBe(`Shard 1: replica ${replica.address} is down`);
    expect(alert?.annotations.runbook_url).toBe('docs/operations.md#shardgatenodedown');

    // The examples of docs/observability.md, one of which lists the nodes that are down.
    const examples = docsPromql();
    await expectEachReturnsData(examples.map((e) => ({ name: `docs/observability.md: ${e.comment}`, promql: e.expr })));
    const down = await prometheus.query('shardgate_node_up == 0');
    expect(down.map((s) => s.metric.address)).toEqual([replica.address]);
  });
});
