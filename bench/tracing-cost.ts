import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { context, ROOT_CONTEXT, SpanKind, trace, type Context, type Tracer } from '@opentelemetry/api';
import { startTracing, type Tracing } from '../src/observability/start-tracing.js';

/*
 * What tracing costs one request, apart from everything else: a request
 * shaped like a point lookup (some 75 promises, the operation's SERVER span
 * and one CLIENT span with the gateway's statement attributes), paced at a
 * fixed rate, exported through the real startTracing() to a sink in another
 * process (so receiving costs this process nothing). Prints CPU µs per
 * request. Modes: `off` (no tracing), `als` (tracing with the SDK's
 * AsyncLocalStorage context manager, the parent found through it: how the
 * gateway traced before), `scope` (no context manager, the parent carried
 * explicitly: how it traces now). OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_BSP_*
 * and OTEL_TRACES_SAMPLER(_ARG) are honoured.
 *
 *   node dist-bench/bench/tracing-cost.js <off|als|scope> [requests=15000] [perSecond=3000]
 */

const STATEMENT_ATTRIBUTES = Object.freeze({
  'db.system.name': 'postgresql',
  'db.namespace': 'postgres',
  'db.operation.name': 'SELECT',
  'db.query.text': 'SELECT user_id, name, email, created_at FROM users WHERE user_id = $1',
  'db.query.summary': 'SELECT users',
  'server.address': '127.0.0.1',
  'server.port': 5433,
  'shard.id': 1,
  'shard.role': 'replica',
  'shard.route.reason': 'replica-read',
  'db.collection.name': 'users',
});

async function step(k: number): Promise<number> {
  await null;
  return k;
}

/** About three promises per step. */
async function work(steps: number): Promise<number> {
  let sum = 0;
  for (let k = 0; k < steps; k++) sum += await step(k);
  return sum;
}

async function request(tracer: Tracer, viaAls: boolean, i: number): Promise<void> {
  const scope: { traceParent?: Context } = {};
  const span = tracer.startSpan('graphql', { kind: SpanKind.SERVER }, context.active());
  const operation = trace.setSpan(ROOT_CONTEXT, span);
  await context.with(operation, async () => {
    await work(12);
    span.updateName('query Point');
    span.setAttribute('graphql.operation.type', 'query');
    span.setAttribute('graphql.operation.name', 'Point');
    span.setAttribute('shardgate.request.id', `req-${i}`);
    scope.traceParent = operation;
    // As the door's observer does: no statement span under an operation that was sampled out.
    const statement = span.isRecording()
      ? tracer.startSpan(
          'SELECT users',
          { kind: SpanKind.CLIENT, attributes: { ...STATEMENT_ATTRIBUTES, 'shard.replica.lag_seconds': 0 } },
          viaAls ? context.active() : scope.traceParent,
        )
      : null;
    await work(12);
    statement?.end();
  });
  span.end();
}

function sink(): void {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' }).end());
  });
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
  process.on('disconnect', () => process.exit(0));
}

async function run(mode: string, requests: number, perSecond: number): Promise<void> {
  if (!['off', 'als', 'scope'].includes(mode)) throw new Error(`mode: off, als or scope, not ${mode}`);
  const child = fork(fileURLToPath(import.meta.url), ['sink'], { stdio: 'inherit' });
  try {
    const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
    Object.assign(process.env, {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    });
    let tracer: Tracer = trace.getTracer('off');
    let tracing: Tracing | null = null;
    if (mode !== 'off') {
      tracing = await startTracing();
      tracer = tracing.tracer!;
      if (mode === 'als') {
        // A transitive dependency of the SDK: what it registered by default before.
        const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
        context.disable();
        context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      }
    }
    const start = process.cpuUsage();
    let sent = 0;
    const perTick = Math.max(1, Math.round(perSecond / 100));
    await new Promise<void>((resolve) => {
      const timer = setInterval(async () => {
        for (let k = 0; k < perTick && sent < requests; k++) await request(tracer, mode === 'als', sent++);
        if (sent >= requests) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    await tracing?.shutdown();
    const cpu = process.cpuUsage(start);
    const protocol = mode === 'off' ? '' : ` (${process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf'})`;
    process.stdout.write(`${mode}${protocol}: ${((cpu.user + cpu.system) / requests).toFixed(1)} µs of CPU per request over ${requests}\n`);
  } finally {
    child.disconnect();
  }
}

if (process.argv[2] === 'sink') sink();
else await run(process.argv[2] ?? 'scope', Number(process.argv[3] ?? 15_000), Number(process.argv[4] ?? 3_000));
