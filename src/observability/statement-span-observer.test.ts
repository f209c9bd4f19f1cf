import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { describe, expect, it } from 'vitest';
import { createRequestScope } from '../repository/request-scope.js';
import { SELECT_USERS_BY_IDS } from '../repository/user-statements.js';
import type { ShardManager } from '../sharding/shard-manager.js';
import { buildShards } from '../sharding/shard.js';
import { StatementSpanObserver } from './statement-span-observer.js';

const node = (port: number) => ({ host: '10.0.0.7', port, user: 'postgres', password: 'secret', dbname: 'shardgate' });
const [shard0] = buildShards({ shards: [{ shardId: 0, primary: node(5000), replicas: [node(5001)] }] });
const manager = { healthOf: () => ({ lag: { seconds: 0.25 } }) } as unknown as ShardManager;

describe('StatementSpanObserver', () => {
  // No provider is registered and no context manager either: the parent can only come from the scope.
  it("makes each statement's CLIENT span a child of the operation span its request's scope carries", () => {
    expect(context.active()).toBe(ROOT_CONTEXT);
    const exporter = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');
    const observer = new StatementSpanObserver(tracer, manager);
    const operation = tracer.startSpan('query Point', { kind: SpanKind.SERVER });
    const scope = createRequestScope('req-1', 10);
    scope.traceParent = trace.setSpan(ROOT_CONTEXT, operation);
    const target = { node: shard0!.replicas[0]!, role: 'replica' as const, reason: 'replica-read' as const };

    observer.onStart({ target, statement: SELECT_USERS_BY_IDS, scope, batchSize: 3 })({ rowCount: 3, outcome: 'ok' });
    observer.onStart({ target, statement: SELECT_USERS_BY_IDS })({ rowCount: 1, outcome: 'ok' });
    operation.end();

    const [child, orphan] = exporter.getFinishedSpans();
    expect(child!.parentSpanContext?.spanId).toBe(operation.spanContext().spanId);
    expect(child!.spanContext().traceId).toBe(operation.spanContext().traceId);
    expect(child!.kind).toBe(SpanKind.CLIENT);
    expect(child!.attributes).toMatchObject({
      'shard.id': 0,
      'shard.role': 'replica',
      'shard.batch.keys': 3,
      'shard.replica.lag_seconds': 0.25,
    });
    // Outside a request (no scope) and with no active context: a trace of its own.
    expect(orphan!.parentSpanContext).toBeUndefined();
    expect(orphan!.spanContext().traceId).not.toBe(operation.spanContext().traceId);
  });
});
