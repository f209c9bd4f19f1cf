import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { spawnGroup, stopGroup, type GroupProcess } from './docker-processes.js';
import { prometheusBinary } from './prometheus-tools.js';

/** A sample of an instant vector, as the HTTP API returns it. */
export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}
export interface ApiAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
}
export interface ApiRule {
  name: string;
  type: 'alerting' | 'recording';
  health: string;
  lastError?: string;
  state?: string;
}

export interface PrometheusServer {
  readonly url: string;
  readonly pid: number;
  /** An instant query; throws on an API error (e.g. a syntax error), with the query in the message. */
  query(promql: string): Promise<VectorSample[]>;
  alerts(): Promise<ApiAlert[]>;
  rules(): Promise<ApiRule[]>;
  /** GET an API path (e.g. `/api/v1/targets`) and return its `data`. */
  api<T>(path: string): Promise<T>;
  output(): string;
  /** Stops Prometheus (SIGTERM, then SIGKILL to its pid) and deletes its directory. Idempotent. */
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** The configuration to run: docker/prometheus/prometheus.yml, say. */
  configPath: string;
  /** `host:port` of the gateway that the job `shardgate` scrapes. */
  target: string;
  /** Scrape and rule evaluation interval. @default '1s' */
  interval?: string;
}

/** Started and not yet stopped, with the directory each owns. */
const running = new Map<GroupProcess, string>();

/**
 * Runs the real Prometheus on a free port of 127.0.0.1 with the given
 * configuration, changed only where a test must: the `shardgate` job scrapes
 * `target`, the intervals are short, and the rule files are named by absolute
 * path. Everything it writes stays in a temporary directory of its own, which
 * `stop` deletes; a process left running when the test process exits is
 * killed by its pid.
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'shardgate-prometheus-'));
  const interval = options.interval ?? '1s';
  const config = parseYaml(readFileSync(options.configPath, 'utf8')) as {
    global?: Record<string, unknown>;
    rule_files?: string[];
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[]; scrape_interval?: string }[];
  };
  const job = config.scrape_configs.find((c) => c.job_name === 'shardgate');
  if (job === undefined) throw new Error(`${options.configPath} has no scrape job "shardgate"`);
  job.static_configs = [{ targets: [options.target] }];
  config.global = { ...config.global, scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval };
  const configDir = options.configPath.replace(/\/[^/]*$/, '');
  config.rule_files = (config.rule_files ?? []).map((f) => (f.startsWith('/') ? f : join(configDir, f)));
  const configPath = join(dir, 'prometheus.yml');
  writeFileSync(configPath, stringifyYaml(config));

  let proc: GroupProcess | undefined;
  let url = '';
  for (let attempt = 1; proc === undefined; attempt++) {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const started = spawnGroup(
      prometheusBinary('prometheus'),
      [
        `--config.file=${configPath}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ],
      { cwd: dir },
    );
    running.set(started, dir);
    installExitHandler();
    try {
      await waitUntil(
        async () => {
          if (started.hasExited()) throw new Error(`prometheus exited:\n${started.output()}`);
          return (await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200;
        },
        30_000,
        'Prometheus to be ready',
      );
      proc = started;
    } catch (err) {
      await stopGroup(started, 'SIGTERM', 5_000);
      running.delete(started);
      // Another process may have taken the port between our check and its bind.
      if (!/address already in use/.test(started.output()) || attempt >= 5) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}${path}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error ?? response.status}`);
    return body.data;
  };
  const server = proc;
  let stopping: Promise<void> | null = null;
  return {
    url,
    pid: server.pid,
    api,
    async query(promql) {
      try {
        const data = await api<{ resultType: string; result: VectorSample[] }>(`/api/v1/query?query=${encodeURIComponent(promql)}`);
        if (data.resultType !== 'vector') throw new Error(`expected a vector, got ${data.resultType}`);
        return data.result;
      } catch (err) {
        throw new Error(`${(err as Error).message}\nquery: ${promql}`);
      }
    },
    alerts: async () => (await api<{ alerts: ApiAlert[] }>('/api/v1/alerts')).alerts,
    rules: async () => (await api<{ groups: { rules: ApiRule[] }[] }>('/api/v1/rules')).groups.flatMap((g) => g.rules),
    output: () => server.output(),
    stop: () =>
      (stopping ??= (async () => {
        await stopGroup(server, 'SIGTERM', 10_000);
        running.delete(server);
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
}

/** Polls `check` every 200 ms until it returns true, for at most `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      if (err instanceof Error && / exited:/.test(err.message)) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `\nlast error: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let exitHandlerInstalled = false;
function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // 'exit' cannot wait: kill synchronously, by pid (each is its own process group).
  process.on('exit', () => {
    for (const [proc, dir] of running) {
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
