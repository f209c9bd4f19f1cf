import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { seedDemoUsers } from '../src/cli/seed-demo-users.js';
import { startTracing } from '../src/observability/start-tracing.js';
import { eventually, openGatewayFixture, testGatewayOptions } from './support/gateway-fixture.js';
import { decodeTraces, startOtlpReceiver, type ExportedTraces, type OtlpReceiver } from './support/otlp-receiver.js';
import { useSharedDatabase, type SharedDatabase } from './support/use-shared-database.js';

let db: SharedDatabase;
let receiver: OtlpReceiver;

const OTEL_VARIABLES = [
  'OTEL_SDK_DISABLED',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
  'OTEL_LOGS_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  'OTEL_TRACES_SAMPLER',
];

/** Exactly these OTEL_* variables, whatever the caller's environment has. */
function otelEnv(vars: Record<string, string>) {
  for (const name of OTEL_VARIABLES) vi.stubEnv(name, vars[name] ?? '');
}

beforeAll(async () => {
  db = await useSharedDatabase('otlp');
  const fx = await openGatewayFixture(db.topologyPath);
  await seedDemoUsers(fx.shards.users, 3, 30);
  await eventually(
    async () => (await fx.gql('{ users(first: 0) { totalCount } }')).data?.users.totalCount === 30,
    15_000,
    'seed on replicas',
  );
  await fx.close();
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
  receiver.requests.length = 0;
});

/** Runs a scatter page through a gateway traced by startTracing(), then shuts tracing down (which exports). */
async function tracedScatter(headers: Record<string, string> = {}) {
  const tracing = await startTracing();
  expect(tracing.enabled).toBe(true);
  const fx = await openGatewayFixture(db.topologyPath, testGatewayOptions({ timeoutMs: 2000, failuresToEject: 3 }), {
    tracer: tracing.tracer,
  });
  try {
    const r = await fx.gql('query Page { users(first: 3) { edges { node { userId } } } }', undefined, headers);
    expect(r.errors).toBeUndefined();
  } finally {
    await fx.close();
    await tracing.shutdown();
  }
}

/** The operation span and its 3 shard spans, as the collector received them. */
function expectScatterTrace(traces: ExportedTraces, serviceName: string) {
  expect(new Set(traces.serviceNames)).toEqual(new Set([serviceName]));
  const operation = traces.spans.find((s) => s.name === 'query Page');
  expect(operation, 'the operation span').toBeDefined();
  expect(operation!.kind).toBe(2); // OTLP SPAN_KIND_SERVER
  const children = traces.spans.filter((s) => s.parentSpanId === operation!.spanId);
  expect(children.map((s) => [s.kind, s.name, s.attributes['shard.id'], s.attributes['shard.role']]).sort()).toEqual([
    [3, 'SELECT users', 0, 'replica'],
    [3, 'SELECT users', 1, 'replica'],
    [3, 'SELECT users', 2, 'replica'],
  ]);
  for (const s of children) {
    expect(s.traceId).toBe(operation!.traceId);
    expect(s.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.namespace': db.dbname, 'db.operation.name': 'SELECT' });
    // The page size is written into the statement (one cached plan per size) and shown sanitized.
    expect(s.attributes['db.query.text']).toMatch(/^SELECT .* FROM users .*LIMIT \?$/);
  }
  const lastStart = children.map((s) => s.startNs).reduce((a, b) => (a > b ? a : b));
  const firstEnd = children.map((s) => s.endNs).reduce((a, b) => (a < b ? a : b));
  expect(lastStart).toBeLessThan(firstEnd);
  return operation!;
}

describe('OTLP/HTTP export, configured by OTEL_* variables', () => {
  it('off when nothing is configured: no SDK, no tracer', async () => {
    otelEnv({ OTEL_SERVICE_NAME: 'ignored' });
    const tracing = await startTracing();
    expect(tracing).toMatchObject({ enabled: false, tracer: null });
    await tracing.shutdown();
  });

  it('http/json to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces, named by OTEL_SERVICE_NAME, continuing a traceparent', async () => {
    otelEnv({
      OTEL_SERVICE_NAME: 'shardgate-json-test',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    await tracedScatter({ traceparent: `00-${traceId}-b7ad6b7169203331-01` });
    const posts = receiver.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.path)).toEqual(posts.map(() => '/v1/traces'));
    expect(posts[0]!.headers['content-type']).toBe('application/json');
    const traces = mergeTraces(posts.map(decodeTraces));
    const operation = expectScatterTrace(traces, 'shardgate-json-test');
    expect(operation.traceId).toBe(traceId);
    expect(operation.parentSpanId).toBe('b7ad6b7169203331');
  });

  it('http/protobuf to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, the traces-specific protocol winning; service.name defaults to shardgate', async () => {
    otelEnv({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/custom/traces`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
    });
    await tracedScatter();
    const posts = receiver.requests.filter((r) => r.method === 'POST');
    expect(posts.length).toBeGreaterThan(0);
    expect(posts.map((r) => r.path)).toEqual(posts.map(() => '/custom/traces'));
    expect(posts[0]!.headers['content-type']).toBe('application/x-protobuf');
    expectScatterTrace(mergeTraces(posts.map(decodeTraces)), 'shardgate');
  });

  it('`shardgate serve` exports its spans on SIGTERM, and pushes no OTLP metrics or logs', async () => {
    if (!existsSync('dist/observability/start-tracing.js')) throw new Error('dist/ is not built: run `npm run build` first');
    const env: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'silent' };
    for (const name of OTEL_VARIABLES) delete env[name];
    Object.assign(env, {
      OTEL_SERVICE_NAME: 'shardgate-bin-test',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      // Nothing leaves before shutdown: what arrives was flushed by it.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    });
    const child = spawn(
      process.execPath,
      ['bin/shardgate.js', 'serve', '--config', db.topologyPath, '--port', '0', '--host', '127.0.0.1'],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      await eventually(() => /GraphiQL: (http:\S+)/.test(out), 30_000, `the gateway to start (stderr: ${err})`);
      const url = /GraphiQL: (http:\S+)/.exec(out)![1]!;
      const traceId = '5b8efff798038103d269b633813fc60c';
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-eee19b7ec3c1b174-01` },
        body: JSON.stringify({ query: 'query Page { users(first: 3) { edges { node { userId } } } }' }),
      });
      expect(response.status).toBe(200);
      const metrics = await (await fetch(url.replace('/graphql', '/metrics'))).text();
      expect(metrics).toContain('shardgate_graphql_requests_total{operation_type="query",outcome="ok"} 1');
      expect(metrics).toContain('shardgate_process_cpu_user_seconds_total');
      expect(receiver.requests).toEqual([]);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(receiver.requests.map((r) => r.path).filter((p) => p !== '/v1/traces')).toEqual([]);
    const traces = mergeTraces(receiver.requests.map(decodeTraces));
    const operation = expectScatterTrace(traces, 'shardgate-bin-test');
    expect(operation.traceId).toBe('5b8efff798038103d269b633813fc60c');
  });
});

function mergeTraces(all: ExportedTraces[]): ExportedTraces {
  return { serviceNames: all.flatMap((t) => t.serviceNames), spans: all.flatMap((t) => t.spans) };
}
