import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type SpanContext } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { tracing } from '@opentelemetry/sdk-node';
import { describe, expect, it } from 'vitest';
import { encodeSpansJson, encodeSpansProtobuf, type OtlpSpan } from './otlp-span-encoding.js';
import { otlpHttpProtocolOf, sdkOtlpModules } from './otlp-span-exporter.js';

/*
 * The gateway's OTLP encoder against the SDK's serializers (the ones its
 * OTLP/HTTP exporter would use) on the same finished spans: protobuf byte
 * for byte, JSON as the same document.
 */

const sdk = sdkOtlpModules();

const STATEMENT: Attributes = {
  'db.system.name': 'postgresql',
  'db.namespace': 'shardgate',
  'db.operation.name': 'SELECT',
  'db.query.text': `SELECT user_id, name, email FROM users WHERE user_id = ANY($1) -- ${'x'.repeat(150)}`,
  'server.address': '10.0.0.7',
  'server.port': 5433,
  'shard.id': 2,
  'shard.role': 'replica',
};

/** Finished spans from the SDK itself, with every kind of value OTLP carries. */
function finishedSpans(): OtlpSpan[] {
  const exporter = new tracing.InMemorySpanExporter();
  const resource = resourceFromAttributes({ 'service.name': 'shardgate', 'process.pid': 4242, 'host.arch': 'amd64' });
  const provider = new tracing.BasicTracerProvider({ resource, spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('shardgate', '1.2.3');
  const other = provider.getTracer('other');
  const remote: SpanContext = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('vendor=abc,other=1'),
  };
  const operation = tracer.startSpan('query Page', { kind: SpanKind.SERVER }, trace.setSpanContext(ROOT_CONTEXT, remote));
  operation.setAttribute('graphql.operation.type', 'query');
  operation.setAttribute('shardgate.request.id', 'req-é€😀');
  const parent = trace.setSpan(ROOT_CONTEXT, operation);
  for (let i = 0; i < 3; i++) {
    const span = tracer.startSpan('SELECT users', { kind: SpanKind.CLIENT, attributes: { ...STATEMENT, 'shard.id': i } }, parent);
    span.setAttributes({ 'shard.replica.lag_seconds': 0.25 * i, 'shard.hedge': i === 1, 'shard.batch.keys': 100 });
    if (i === 2) {
      span.setAttributes({ 'error.type': '57014', 'db.response.status_code': '57014' });
      span.setStatus({ code: SpanStatusCode.ERROR, message: '57014' });
    }
    span.end();
  }
  const odd = other.startSpan('odd', {
    attributes: {
      strings: ['a', 'b'],
      numbers: [1, 2.5, -3],
      flags: [true, false],
      negative: -42,
      big: 2 ** 40,
      double: Math.PI,
      empty: '',
      // Many pairs, so that the span's length needs three bytes.
      ...Object.fromEntries(Array.from({ length: 400 }, (_, k) => [`k${k}`, `value ${k} ${'y'.repeat(40)}`])),
    },
    links: [{ context: remote, attributes: { why: 'follows' } }],
  });
  odd.addEvent('retry', { attempt: 2 });
  odd.addEvent('plain');
  odd.setStatus({ code: SpanStatusCode.OK });
  odd.end();
  operation.end();
  return exporter.getFinishedSpans() as unknown as OtlpSpan[];
}

describe('encodeSpansProtobuf', () => {
  it('writes the bytes the SDK writes, the first time and from its caches', () => {
    const spans = finishedSpans();
    const expected = Buffer.from(sdk.ProtobufTraceSerializer.serializeRequest(spans)!);
    expect(Buffer.from(encodeSpansProtobuf(spans)).equals(expected)).toBe(true);
    expect(Buffer.from(encodeSpansProtobuf(spans)).equals(expected)).toBe(true);
    // A second batch with new spans, the resource and scopes now cached.
    const more = finishedSpans();
    expect(Buffer.from(encodeSpansProtobuf(more)).equals(Buffer.from(sdk.ProtobufTraceSerializer.serializeRequest(more)!))).toBe(true);
  });

  it('encodes an empty batch as an empty request', () => {
    expect(encodeSpansProtobuf([]).length).toBe(0);
  });
});

describe('encodeSpansJson', () => {
  it('writes the document the SDK writes', () => {
    const spans = finishedSpans();
    const expected = JSON.parse(Buffer.from(sdk.JsonTraceSerializer.serializeRequest(spans)!).toString('utf8'));
    expect(expected.resourceSpans[0].scopeSpans).toHaveLength(2);
    for (let round = 0; round < 2; round++) {
      expect(JSON.parse(Buffer.from(encodeSpansJson(spans)).toString('utf8'))).toEqual(expected);
    }
  });

  it('writes timestamps as exact decimal nanoseconds', () => {
    const [span] = finishedSpans();
    const doc = JSON.parse(Buffer.from(encodeSpansJson([span!])).toString('utf8'));
    const written = doc.resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano;
    expect(written).toBe(String(BigInt(span!.startTime[0]) * 1_000_000_000n + BigInt(span!.startTime[1])));
  });
});

describe('otlpHttpProtocolOf', () => {
  it('follows the SDK: traces protocol, else the general one, else http/protobuf', () => {
    expect(otlpHttpProtocolOf({})).toBe('http/protobuf');
    expect(otlpHttpProtocolOf({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe('http/json');
    expect(otlpHttpProtocolOf({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: ' http/protobuf ' })).toBe(
      'http/protobuf',
    );
    expect(otlpHttpProtocolOf({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe('http/json');
  });

  it('leaves gRPC, other exporters and several exporters to the SDK', () => {
    expect(otlpHttpProtocolOf({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toBeNull();
    expect(otlpHttpProtocolOf({ OTEL_TRACES_EXPORTER: 'console' })).toBeNull();
    expect(otlpHttpProtocolOf({ OTEL_TRACES_EXPORTER: 'otlp,console' })).toBeNull();
    expect(otlpHttpProtocolOf({ OTEL_TRACES_EXPORTER: 'zipkin' })).toBeNull();
  });
});
