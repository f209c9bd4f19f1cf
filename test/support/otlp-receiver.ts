import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';

export interface OtlpRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** An OTLP/HTTP collector for tests: answers 200 to every POST and keeps what it got. */
export interface OtlpReceiver {
  /** `http://127.0.0.1:PORT` */
  url: string;
  requests: OtlpRequest[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: OtlpRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      // An empty ExportTraceServiceResponse, in the format that was sent.
      const json = String(req.headers['content-type']).includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A span as both encodings carry it, normalised: ids in hex, kind as the OTLP enum (2 server, 3 client). */
export interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, string | number | boolean>;
  status: { code: number; message?: string };
}

export interface ExportedTraces {
  /** `service.name` of each resource. */
  serviceNames: string[];
  spans: ExportedSpan[];
}

// The parts of opentelemetry-proto's trace.proto / common.proto / resource.proto the tests read
// (field numbers as upstream; the decoder skips the fields not listed).
const TRACE_PROTO = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; bytes bytes_value = 7; }
}
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; Status status = 15;
}
message Status { string message = 2; int32 code = 3; }
`;
const ExportTraceServiceRequest = protobuf.parse(TRACE_PROTO).root.lookupType('otlp.ExportTraceServiceRequest');

type Json = any;

/** Decodes a request body sent with `http/json` or `http/protobuf`. */
export function decodeTraces(request: OtlpRequest): ExportedTraces {
  const type = String(request.headers['content-type']);
  const body: Json = type.includes('json')
    ? JSON.parse(request.body.toString('utf8'))
    : ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(request.body), { longs: String, bytes: String, oneofs: false });
  const hex = (id: unknown) =>
    typeof id !== 'string' || id === '' ? '' : type.includes('json') ? id : Buffer.from(id, 'base64').toString('hex');
  const attributes = (list: Json[] | undefined) =>
    Object.fromEntries(
      (list ?? []).map((kv: Json) => {
        const v = kv.value ?? {};
        const value = v.stringValue ?? v.boolValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.doubleValue);
        return [kv.key, value];
      }),
    );
  const serviceNames: string[] = [];
  const spans: ExportedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    serviceNames.push(String(attributes(rs.resource?.attributes)['service.name']));
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name,
          kind: Number(s.kind),
          startNs: BigInt(s.startTimeUnixNano),
          endNs: BigInt(s.endTimeUnixNano),
          attributes: attributes(s.attributes),
          status: { code: Number(s.status?.code ?? 0), ...(s.status?.message ? { message: s.status.message } : {}) },
        });
      }
    }
  }
  return { serviceNames, spans };
}
