import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/*
 * The monitoring files that the project ships, read as the tests need them:
 * the PromQL examples of docs/observability.md, the Prometheus rules, the Grafana dashboard.
 */

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const at = (path: string) => join(repoRoot, path);

export const RECORDING_RULES = at('docker/prometheus/recording.yml');
export const ALERTING_RULES = at('docker/prometheus/alerts.yml');
export const PROMETHEUS_CONFIG = at('docker/prometheus/prometheus.yml');
export const ALERT_UNIT_TESTS = at('test/prometheus/alerts.test.yml');
export const DASHBOARD = at('docker/grafana/dashboards/shardgate.json');

export interface RecordingRule {
  record: string;
  expr: string;
}
export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile<R> {
  groups: { name: string; interval?: string; rules: R[] }[];
}

export function recordingRules(): RecordingRule[] {
  return (parseYaml(readFileSync(RECORDING_RULES, 'utf8')) as RuleFile<RecordingRule>).groups.flatMap((g) => g.rules);
}

export function alertingRules(): AlertingRule[] {
  return (parseYaml(readFileSync(ALERTING_RULES, 'utf8')) as RuleFile<AlertingRule>).groups.flatMap((g) => g.rules);
}

/**
 * The expressions of the ```promql blocks of docs/observability.md (the metrics page). Each is introduced by its
 * own `#` comment line; the lines up to the next comment or blank line are
 * one expression (a long one may span several lines).
 */
export function docsPromql(page = readFileSync(at('docs/observability.md'), 'utf8')): { comment: string; expr: string }[] {
  const examples: { comment: string; expr: string }[] = [];
  for (const block of page.matchAll(/^```promql\n([\s\S]*?)^```$/gm)) {
    let comment: string | undefined;
    let lines: string[] = [];
    const flush = () => {
      if (lines.length === 0) return;
      if (comment === undefined) throw new Error(`docs/observability.md: a PromQL example without a comment before it: ${lines.join(' ')}`);
      examples.push({ comment, expr: lines.map((l) => l.trim()).join(' ') });
      lines = [];
      comment = undefined;
    };
    for (const line of (block[1] ?? '').split('\n')) {
      if (line.trim() === '') flush();
      else if (line.trimStart().startsWith('#')) {
        flush();
        comment = line.trim().replace(/^#\s*/, '');
      } else lines.push(line);
    }
    flush();
  }
  return examples;
}

export interface DashboardTarget {
  panel: string;
  refId: string;
  expr: string;
  datasource: unknown;
}
export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: unknown;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { refId: string; expr: string; datasource?: unknown }[];
  panels?: DashboardPanel[];
}
export interface DashboardVariable {
  type: string;
  name: string;
  query?: string | { query: string };
  definition?: string;
  datasource?: unknown;
  multi?: boolean;
  includeAll?: boolean;
}
export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: { list: DashboardVariable[] };
}

export function dashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
}

/** Every panel, rows' nested panels included. */
export function dashboardPanels(d: Dashboard = dashboard()): DashboardPanel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export function dashboardTargets(d: Dashboard = dashboard()): DashboardTarget[] {
  return dashboardPanels(d).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, refId: t.refId, expr: t.expr, datasource: t.datasource ?? p.datasource })),
  );
}

/**
 * A panel's query as Prometheus would receive it from Grafana: `$shard` as
 * the regex of the chosen shards, `$__rate_interval` as a window that holds
 * several scrapes.
 */
export function grafanaToPromql(expr: string, values: { shards: readonly string[]; rateInterval: string }): string {
  return expr.replaceAll('$__rate_interval', values.rateInterval).replaceAll('$shard', `(${values.shards.join('|')})`);
}

/** Metric names that an expression reads (not recording rules' level:metric:operation names, nor functions). */
export function metricNamesIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const names = withoutStrings.match(/(?<![\w:])(?:shardgate_[a-z0-9_]+|up)(?![\w:(])/g) ?? [];
  return [...new Set(names)];
}

/** Recording rule names that an expression reads. */
export function recordedNamesIn(expr: string): string[] {
  return [...new Set(expr.match(/\b[a-z_]*:[a-z0-9_]+:[a-z0-9_]+\b/g) ?? [])];
}
