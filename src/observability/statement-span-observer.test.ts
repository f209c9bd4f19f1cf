import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';
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

  it('makes no span for a statement whose operation was sampled out, and one for each of a sampled operation', () => {
    const exporter = new InMemorySpanExporter();
    // One trace in two: over 40 operations, both decisions occur (the chance that they do not is 2^-39).
    const sampler = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.5) });
    const tracer = new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');
    // Counts the statement spans asked of the tracer: a span sampled out is still an object, ids and checked attributes.
    let asked = 0;
    const counting = {
      ...tracer,
      startSpan: (...args: Parameters<typeof tracer.startSpan>) => {
        asked++;
        return tracer.startSpan(...args);
      },
    } as typeof tracer;
    const observer = new StatementSpanObserver(counting, manager);
    const target = { node: shard0!.replicas[0]!, role: 'replica' as const, reason: 'replica-read' as const };
    const sampled: string[] = [];
    for (let i = 0; i < 40; i++) {
      const operation = tracer.startSpan('query Point', { kind: SpanKind.SERVER });
      if (operation.isRecording()) sampled.push(operation.spanContext().spanId);
      const scope = createRequestScope(`req-${i}`, 10);
      scope.traceParent = trace.setSpan(ROOT_CONTEXT, operation);
      observer.onStart({ target, statement: SELECT_USERS_BY_IDS, scope })({ rowCount: 1, outcome: 'ok' });
      operation.end();
    }
    expect(sampled.length).toBeGreaterThan(0);
    expect(sampled.length).toBeLessThan(40);
    const statements = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(statements.map((s) => s.parentSpanContext?.spanId)).toEqual(sampled);
    expect(asked).toBe(sampled.length);
  });
});
