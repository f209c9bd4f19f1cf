import { context, propagation, ROOT_CONTEXT, trace, type ContextManager, type Tracer } from '@opentelemetry/api';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { TRACER_NAME } from './names.js';
import { signalRequested, tracingSwitch } from './tracing-switch.js';

export interface Tracing {
  readonly enabled: boolean;
  /** Why tracing is on or off, for the start-up log line. */
  readonly reason: string;
  /** Makes the gateway's spans; null when tracing is off, and then no span code is installed at all. */
  readonly tracer: Tracer | null;
  /** Exports the spans still buffered and stops the SDK. Idempotent; never rejects. */
  shutdown(): Promise<void>;
}

/** `service.name` when neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES names one. */
export const DEFAULT_SERVICE_NAME = 'shardgate';

/** What the API does with no context manager: nothing propagates implicitly, `with` just calls. */
const NO_IMPLICIT_CONTEXT: ContextManager = {
  active: () => ROOT_CONTEXT,
  with: (_context, fn, thisArg, ...args) => fn.call(thisArg, ...args),
  bind: (_context, target) => target,
  enable() {
    return this;
  },
  disable() {
    return this;
  },
};

/** Jaeger being down must not hold Ctrl-C for the exporter's whole timeout. */
const SHUTDOWN_TIMEOUT_MS = 5_000;

/**
 * Starts the OpenTelemetry Node SDK when the `OTEL_*` variables ask for
 * traces (see tracingSwitch), configured by them alone: exporter, OTLP
 * endpoint and protocol (`http/protobuf`, `http/json`), sampler, resource.
 * Call it before the gateway starts; it registers the global tracer
 * provider and the W3C propagators, but no context manager: statement spans
 * find their operation span through the request's scope (see useTracing).
 * The SDK's default, an AsyncLocalStorage, would put a promise hook on every
 * promise of the process on Node 20 (about 0.4 µs each, some 75 promises per
 * point lookup): a third of what tracing cost, for context the gateway
 * carries itself.
 *
 * When off, the SDK is not imported and `tracer` is null.
 */
export async function startTracing(): Promise<Tracing> {
  // The SDK reads process.env itself, so the decision must read it too.
  const env = process.env;
  const decision = tracingSwitch(env);
  if (!decision.enabled) return { ...decision, tracer: null, shutdown: async () => {} };

  const [{ NodeSDK }, { defaultResource, resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/resources'),
  ]);
  const sdk = new NodeSDK({
    // The environment's resource (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) is detected and merged over this.
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: DEFAULT_SERVICE_NAME })),
    // Our own door makes the database spans; no monkey-patching.
    instrumentations: [],
    contextManager: NO_IMPLICIT_CONTEXT,
    // The SDK would push OTLP metrics and logs by default; ours are at /metrics.
    ...(signalRequested(env, 'OTEL_METRICS_EXPORTER') ? {} : { metricReaders: [] }),
    ...(signalRequested(env, 'OTEL_LOGS_EXPORTER') ? {} : { logRecordProcessors: [] }),
  });
  sdk.start();

  let stopping: Promise<void> | null = null;
  const shutdown = () =>
    (stopping ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_TIMEOUT_MS);
        timer.unref();
      });
      await Promise.race([sdk.shutdown().catch(() => {}), timeout]);
      clearTimeout(timer);
      // Unregister the globals, so that a later startTracing in this process (tests) can register its own.
      trace.disable();
      context.disable();
      propagation.disable();
    })());
  return { ...decision, tracer: trace.getTracer(TRACER_NAME), shutdown };
}
