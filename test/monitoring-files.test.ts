/**
 * The monitoring files, checked with the real promtool and without a
 * Prometheus server: the rule files and the Prometheus configuration pass
 * `promtool check`; the alert unit tests (test/prometheus/alerts.test.yml)
 * pass `promtool test rules`, fire every alert and keep each one silent
 * somewhere, and fail when a rule breaks; every alert names what it is about
 * and links its section of docs/operations.md; the PromQL examples of docs/observability.md
 * and the dashboard's queries parse; the dashboard and the Grafana and
 * Prometheus wiring of docker-compose.yml fit together. The live side (a real
 * Prometheus over a real gateway) is test/prometheus-live.test.ts.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  ALERT_UNIT_TESTS,
  ALERTING_RULES,
  alertingRules,
  at,
  dashboard,
  dashboardPanels,
  dashboardTargets,
  grafanaToPromql,
  PROMETHEUS_CONFIG,
  docsPromql,
  RECORDING_RULES,
  recordedNamesIn,
  recordingRules,
} from './support/monitoring-files.js';
import { promtool } from './support/prometheus-tools.js';

const scratch = mkdtempSync(join(tmpdir(), 'shardgate-monitoring-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs `promtool check rules` on the expressions as recording rules: a syntax check without a server. */
async function checkSyntax(name: string, exprs: readonly string[]) {
  const file = join(scratch, `${name}.yml`);
  const rules = exprs.map((expr, i) => ({ record: `check:${name}:${i}`, expr }));
  writeFileSync(file, stringifyYaml({ groups: [{ name, rules }] }));
  return promtool(['check', 'rules', file]);
}

interface UnitTests {
  rule_files: string[];
  tests: {
    name: string;
    alert_rule_test?: { alertname: string; eval_time: string; exp_alerts: { exp_labels: Record<string, string> }[] }[];
  }[];
}

describe('Prometheus rules (promtool)', () => {
  it('both rule files and the Prometheus configuration pass promtool check', async () => {
    for (const file of [RECORDING_RULES, ALERTING_RULES]) {
      const result = await promtool(['check', 'rules', file]);
      expect(result.stdout + result.stderr, file).toContain('SUCCESS');
      expect(result.code, result.stdout + result.stderr).toBe(0);
    }
    // The configuration names both rule files, relative to itself.
    const config = await promtool(['check', 'config', PROMETHEUS_CONFIG]);
    expect(config.code, config.stdout + config.stderr).toBe(0);
    expect(config.stdout).toContain('2 rule files found');
  });

  it('the alert unit tests pass `promtool test rules`', async () => {
    const result = await promtool(['test', 'rules', ALERT_UNIT_TESTS]);
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('the unit tests fire every alert, and show each one silent where it should be', () => {
    const unit = parseYaml(readFileSync(ALERT_UNIT_TESTS, 'utf8')) as UnitTests;
    expect(unit.rule_files.map((f) => join(at('test/prometheus'), f)).sort()).toEqual([ALERTING_RULES, RECORDING_RULES].sort());
    const checks = unit.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const { alert } of alertingRules()) {
      const mine = checks.filter((c) => c.alertname === alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${alert} fires in some unit test`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${alert} is silent in some unit test`,
      ).toBe(true);
    }
  });

  it('the unit tests fail when an alert breaks', async () => {
    // A copy of the rules with the node-down alert inverted, tested with the same unit tests.
    const dir = join(scratch, 'broken');
    mkdirSync(join(dir, 'docker/prometheus'), { recursive: true });
    mkdirSync(join(dir, 'test/prometheus'), { recursive: true });
    cpSync(RECORDING_RULES, join(dir, 'docker/prometheus/recording.yml'));
    cpSync(ALERT_UNIT_TESTS, join(dir, 'test/prometheus/alerts.test.yml'));
    const alerts = readFileSync(ALERTING_RULES, 'utf8');
    expect(alerts).toContain('expr: shardgate_node_up == 0\n');
    writeFileSync(
      join(dir, 'docker/prometheus/alerts.yml'),
      alerts.replace('expr: shardgate_node_up == 0\n', 'expr: shardgate_node_up == 1\n'),
    );
    const result = await promtool(['test', 'rules', join(dir, 'test/prometheus/alerts.test.yml')]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('ShardgateNodeDown');
  });

  it('every alert waits, has a severity, and says what it is about: the shard and node its labels name', () => {
    const unit = parseYaml(readFileSync(ALERT_UNIT_TESTS, 'utf8')) as UnitTests;
    const firedLabels = (alert: string) =>
      new Set(
        unit.tests
          .flatMap((t) => t.alert_rule_test ?? [])
          .filter((c) => c.alertname === alert)
          .flatMap((c) => c.exp_alerts.flatMap((a) => Object.keys(a.exp_labels))),
      );
    const alerts = alertingRules();
    expect(alerts.map((a) => a.alert)).toEqual([
      'ShardgateGatewayDown',
      'ShardgateNodeDown',
      'ShardgateShardWithoutPrimary',
      'ShardgateReplicationLagHigh',
      'ShardgateShardErrorRate',
      'ShardgateShardLatencyHigh',
      'ShardgateGraphqlErrorRate',
      'ShardgateGraphqlLatencyHigh',
      'ShardgatePoolSaturated',
      'ShardgateUnevenDistribution',
      'ShardgateWritesBuffered',
      'ShardgatePrimaryChanged',
    ]);
    for (const rule of alerts) {
      expect(rule.for, `${rule.alert}: for`).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning', 'info'], `${rule.alert}: severity`).toContain(rule.labels?.severity);
      const { summary = '', description = '' } = rule.annotations ?? {};
      expect(summary.length, `${rule.alert}: summary`).toBeGreaterThan(10);
      expect(description.length, `${rule.alert}: description`).toBeGreaterThan(summary.length);
      // Each label that identifies the shard, node or gateway is named in the text.
      for (const label of ['shard', 'address', 'role', 'instance']) {
        if (!firedLabels(rule.alert).has(label)) continue;
        // An alert about one role only says "primary" in its text.
        if (label === 'role' && /role="\w+"/.test(rule.expr)) continue;
        expect(`${summary} ${description}`, `${rule.alert} names its ${label}`).toContain(`$labels.${label}`);
        if (label === 'shard') expect(summary, `${rule.alert}: the summary names the shard`).toContain('$labels.shard');
      }
    }
  });

  it('every alert links a section of docs/operations.md, and every section there is an alert', () => {
    const operations = readFileSync(at('docs/operations.md'), 'utf8');
    const sections = [...operations.matchAll(/^### (\S+)$/gm)].map((m) => m[1]);
    const alerts = alertingRules();
    expect(sections).toEqual(alerts.map((a) => a.alert));
    for (const rule of alerts) {
      // GitHub's anchor of a one-word heading: lower case.
      expect(rule.annotations?.runbook_url).toBe(`docs/operations.md#${rule.alert.toLowerCase()}`);
      const section = operations.split(`### ${rule.alert}\n`)[1]?.split(/^### /m)[0] ?? '';
      for (const part of ['**Fires when**', '**Means**', '**Do**']) expect(section, `${rule.alert}: ${part}`).toContain(part);
      expect(section, `${rule.alert}: the severity`).toContain(`\`${rule.labels?.severity}\``);
      // The table at the top agrees.
      expect(operations, `${rule.alert} in the table`).toContain(
        `| [${rule.alert}](#${rule.alert.toLowerCase()}) | ${rule.labels?.severity} |`,
      );
    }
  });

  it('recording rules follow level:metric:operations, and each is used by an alert, the dashboard or another rule', () => {
    const rules = recordingRules();
    const users = [...alertingRules().map((a) => a.expr), ...rules.map((r) => r.expr), ...dashboardTargets().map((t) => t.expr)].join('\n');
    for (const { record } of rules) {
      expect(record).toMatch(/^[a-z_]*:shardgate_[a-z0-9_]+:[a-z0-9_]+$/);
      expect(recordedNamesIn(users), `${record} is used`).toContain(record);
    }
    // Whatever an alert or a panel reads from a recording rule exists.
    const recorded = new Set(rules.map((r) => r.record));
    for (const name of recordedNamesIn(users)) expect(recorded, name).toContain(name);
  });
});

describe('the PromQL examples of docs/observability.md', () => {
  it('are read one by one, each under its own comment', () => {
    const examples = docsPromql();
    expect(examples.length).toBeGreaterThanOrEqual(10);
    // A two-line expression is one example.
    expect(examples.find((e) => e.comment.startsWith('read/write ratio'))?.expr).toBe(
      'sum(rate(shardgate_shard_queries_total{operation="SELECT"}[5m])) / sum(rate(shardgate_shard_queries_total{operation=~"INSERT|UPDATE|DELETE"}[5m]))',
    );
    expect(() => docsPromql('```promql\nup\n```\n')).toThrow(/without a comment/);
  });

  it('parse (promtool), and so do the dashboard’s queries', async () => {
    const readme = await checkSyntax(
      'readme',
      docsPromql().map((e) => e.expr),
    );
    expect(readme.code, readme.stdout + readme.stderr).toBe(0);
    const panels = dashboardTargets().map((t) => grafanaToPromql(t.expr, { shards: ['0', '1'], rateInterval: '1m' }));
    const dashboardCheck = await checkSyntax('dashboard', panels);
    expect(dashboardCheck.code, dashboardCheck.stdout + dashboardCheck.stderr).toBe(0);
    // The check has teeth.
    const broken = await checkSyntax('broken', ['sum by (shard (shardgate_node_up)']);
    expect(broken.code).not.toBe(0);
  });
});

describe('the Grafana dashboard', () => {
  const d = dashboard();
  const panels = dashboardPanels(d);

  it('has a datasource variable and a shard variable that every panel query can use', () => {
    const vars = d.templating.list;
    expect(vars.map((v) => v.name)).toEqual(['datasource', 'shard']);
    expect(vars[0]).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const shard = vars[1]!;
    expect(shard).toMatchObject({ type: 'query', multi: true, includeAll: true, datasource: { type: 'prometheus', uid: '${datasource}' } });
    expect(shard.query).toEqual({ query: 'label_values(shardgate_node_up, shard)', refId: 'shard' });
    for (const target of dashboardTargets(d)) {
      expect(target.datasource, target.panel).toEqual({ type: 'prometheus', uid: '${datasource}' });
      // Only variables that exist (Grafana's own start with $__).
      for (const [, name] of target.expr.matchAll(/\$(\w+)/g)) {
        if (!name?.startsWith('__'))
          expect(
            vars.map((v) => v.name),
            `${target.panel}: $${name}`,
          ).toContain(name);
      }
    }
  });

  it('shows throughput, latency, lag, connections, read/write ratio and distribution, over all shards and per shard', () => {
    const rows = d.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(['All shards', 'Per shard ($shard)']);
    const perShardStart = d.panels.find((p) => p.type === 'row' && p.title.startsWith('Per shard'))?.gridPos.y ?? 0;
    const perShard = panels.filter((p) => p.type !== 'row' && p.gridPos.y > perShardStart);
    const global = panels.filter((p) => p.type !== 'row' && p.gridPos.y < perShardStart);
    // Every per-shard query is filtered by the shard variable; no global one is.
    for (const p of perShard) for (const t of p.targets ?? []) expect(t.expr, p.title).toContain('shard=~"$shard"');
    for (const p of global) for (const t of p.targets ?? []) expect(t.expr, p.title).not.toContain('$shard');
    const reads = (list: typeof panels, metric: string) => list.some((p) => (p.targets ?? []).some((t) => t.expr.includes(metric)));
    for (const metric of [
      'shard_role:shardgate_shard_queries:rate5m',
      'shard_role:shardgate_shard_query_duration_seconds:p99_rate5m',
      'shardgate_replication_lag_seconds',
      'shardgate_pool_connections{',
      'shardgate_pool_connections_max',
      'shard:shardgate_shard_query_duration_seconds:p99_rate5m',
      'shard:shardgate_shard_reads:rate5m{shard=~"$shard"} / shard:shardgate_shard_writes:rate5m',
      'shardgate_node_up',
    ]) {
      expect(reads(perShard, metric), `per shard: ${metric}`).toBe(true);
    }
    for (const metric of [
      'shardgate_graphql_requests_total',
      'shardgate_graphql_request_duration_seconds_bucket',
      'shard:shardgate_shard_users:max',
      'operation="SELECT"',
    ]) {
      expect(reads(global, metric), `all shards: ${metric}`).toBe(true);
    }
  });

  it('is laid out on the 24-column grid without overlaps, with unique ids and query refIds', () => {
    expect(d.uid).toBe('shardgate');
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Map<string, string>();
    for (const p of panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x >= 0 && w > 0 && x + w <= 24, `${p.title}: x ${x} w ${w}`).toBe(true);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          const other = cells.get(`${i},${j}`);
          expect(other, `${p.title} overlaps ${other}`).toBeUndefined();
          cells.set(`${i},${j}`, p.title);
        }
      }
      if (p.type === 'row') continue;
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(refIds.length, `${p.title} has queries`).toBeGreaterThan(0);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
    }
  });
});

describe('Prometheus and Grafana in docker-compose.yml', () => {
  interface Service {
    image?: string;
    command?: string[];
    volumes?: string[];
    environment?: Record<string, string>;
    ports?: string[];
    depends_on?: Record<string, { condition: string }>;
  }
  const compose = parseYaml(readFileSync(at('docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };
  const prometheus = compose.services.prometheus ?? {};
  const grafana = compose.services.grafana ?? {};
  /** The host path mounted at `target`, for a bind mount. */
  const mountOf = (svc: Service, target: string) => svc.volumes?.map((v) => v.split(':')).find(([, t]) => t === target)?.[0];

  it('Prometheus loads docker/prometheus (its configuration and both rule files) and scrapes the gateway', () => {
    expect(prometheus.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(mountOf(prometheus, '/etc/prometheus')).toBe('./docker/prometheus');
    expect(prometheus.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(prometheus.ports).toContain('127.0.0.1:9090:9090');
    expect(prometheus.depends_on?.gateway).toBeDefined();
    const config = parseYaml(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
    };
    expect(config.rule_files.sort()).toEqual(['alerts.yml', 'recording.yml']);
    // The job name that ShardgateGatewayDown selects, scraping the gateway service's port.
    const job = config.scrape_configs.find((c) => c.job_name === 'shardgate');
    expect(alertingRules().find((a) => a.alert === 'ShardgateGatewayDown')?.expr).toContain('up{job="shardgate"}');
    expect(job?.static_configs.flatMap((s) => s.targets)).toEqual(['gateway:4000']);
    expect(compose.services.gateway?.command).toEqual(expect.arrayContaining(['--port', '4000']));
    const dataVolume = prometheus.volumes?.find((v) => v.endsWith(':/prometheus'))?.split(':')[0] ?? '';
    expect(Object.keys(compose.volumes)).toContain(dataVolume);
  });

  it('Grafana is provisioned with that Prometheus as datasource and with the dashboard', () => {
    expect(grafana.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
    expect(grafana.ports).toContain('127.0.0.1:3000:3000');
    expect(mountOf(grafana, '/etc/grafana/provisioning')).toBe('./docker/grafana/provisioning');
    const datasources = parseYaml(readFileSync(at('docker/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
      datasources: { type: string; url: string; isDefault?: boolean }[];
    };
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090', isDefault: true }),
    ]);
    const providers = parseYaml(readFileSync(at('docker/grafana/provisioning/dashboards/shardgate.yml'), 'utf8')) as {
      providers: { type: string; options: { path: string } }[];
    };
    const path = providers.providers[0]?.options.path ?? '';
    expect(providers.providers[0]?.type).toBe('file');
    expect(mountOf(grafana, path)).toBe('./docker/grafana/dashboards');
    expect(grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(`${path}/shardgate.json`);
    expect(grafana.depends_on?.prometheus).toBeDefined();
  });
});
