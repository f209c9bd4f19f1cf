import { createRequire } from 'node:module';
import { encodeSpansJson, encodeSpansProtobuf, type OtlpSpan } from './otlp-span-encoding.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The OTLP protocols this exporter speaks: the two over HTTP. */
export type OtlpHttpProtocol = 'http/json' | 'http/protobuf';

/** What the SDK's batch span processor calls (the SDK's SpanExporter). */
export interface OtlpSpanExporter {
  export(spans: OtlpSpan[], resultCallback: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

/**
 * Which OTLP-over-HTTP protocol the environment asks traces to use, as the
 * SDK decides it (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else
 * `OTEL_EXPORTER_OTLP_PROTOCOL`, else http/protobuf), when the traces go to
 * exactly one OTLP exporter; null otherwise (gRPC, console, zipkin, several
 * exporters, an unknown protocol), and the SDK then builds its exporters itself.
 */
export function otlpHttpProtocolOf(env: Env): OtlpHttpProtocol | null {
  const exporters = [
    ...new Set(
      (env.OTEL_TRACES_EXPORTER ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '' && s !== 'null'),
    ),
  ];
  if (exporters.length > 1 || (exporters.length === 1 && exporters[0] !== 'otlp')) return null;
  const text = (name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);
  const protocol = text('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? text('OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
  return protocol === 'http/json' || protocol === 'http/protobuf' ? protocol : null;
}

/** The SDK's interface for what turns spans into a request body and reads the answer. */
export interface OtlpSerializer {
  serializeRequest(spans: OtlpSpan[]): Uint8Array | undefined;
  deserializeResponse(data: Uint8Array): unknown;
}

/** The pieces of the SDK's OTLP/HTTP trace exporter this module uses. */
export interface SdkOtlpModules {
  readonly OTLPExporterBase: new (delegate: unknown) => OtlpSpanExporter;
  createOtlpHttpExportDelegate(
    options: unknown,
    serializer: OtlpSerializer,
    componentType: string,
    metricsHelper: unknown,
    meterProvider: unknown,
  ): unknown;
  convertLegacyHttpOptions(config: object, signal: string, path: string, headers: Record<string, string>): unknown;
  readonly JsonTraceSerializer: OtlpSerializer;
  readonly ProtobufTraceSerializer: OtlpSerializer;
  readonly TraceExporterMetricsHelper: unknown;
}

/**
 * The modules the SDK's OTLP/HTTP trace exporter is made of, loaded from
 * that exporter's package as the exporter loads them (the SDK depends on
 * it), so that their versions are the ones the SDK was built with.
 */
export function sdkOtlpModules(): SdkOtlpModules {
  const fromSdk = createRequire(createRequire(import.meta.url).resolve('@opentelemetry/sdk-node'));
  const fromExporter = createRequire(fromSdk.resolve('@opentelemetry/exporter-trace-otlp-http'));
  return {
    ...(fromExporter('@opentelemetry/otlp-exporter-base') as Pick<SdkOtlpModules, 'OTLPExporterBase'>),
    ...(fromExporter('@opentelemetry/otlp-exporter-base/node-http') as Pick<
      SdkOtlpModules,
      'createOtlpHttpExportDelegate' | 'convertLegacyHttpOptions'
    >),
    ...(fromExporter('@opentelemetry/otlp-transformer') as Pick<
      SdkOtlpModules,
      'JsonTraceSerializer' | 'ProtobufTraceSerializer' | 'TraceExporterMetricsHelper'
    >),
  };
}

/**
 * The SDK's own OTLP/HTTP trace exporter with the gateway's encoder in place
 * of the SDK's serializer: the request body is built by encodeSpansJson or
 * encodeSpansProtobuf, the same bytes or JSON for a fraction of the CPU;
 * everything else is the SDK's, so every `OTEL_*` variable means what it
 * meant (endpoint, traces endpoint, headers, timeout, compression,
 * certificates), with the same retries and bounded queue of exports in flight.
 */
export function createOtlpSpanExporter(protocol: OtlpHttpProtocol): OtlpSpanExporter {
  const sdk = sdkOtlpModules();
  const json = protocol === 'http/json';
  const sdkSerializer = json ? sdk.JsonTraceSerializer : sdk.ProtobufTraceSerializer;
  const serializer: OtlpSerializer = {
    serializeRequest: json ? encodeSpansJson : encodeSpansProtobuf,
    // The collector's answer (a partial success) is read as the SDK reads it.
    deserializeResponse: (data) => sdkSerializer.deserializeResponse(data),
  };
  const options = sdk.convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', {
    'Content-Type': json ? 'application/json' : 'application/x-protobuf',
  });
  return new sdk.OTLPExporterBase(
    sdk.createOtlpHttpExportDelegate(options, serializer, 'otlp_http_span_exporter', sdk.TraceExporterMetricsHelper, undefined),
  );
}
