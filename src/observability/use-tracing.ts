import {
  context as otelContext,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapPropagator,
  type Tracer,
} from '@opentelemetry/api';
import type { Plugin } from 'graphql-yoga';
import type { RequestScope } from '../repository/request-scope.js';
import { SpanAttr } from './names.js';
import { operationSpanName } from './operation-of.js';
import { OperationRecords } from './operation-records.js';

export interface UseTracingOptions {
  readonly tracer: Tracer;
  /**
   * Reads the caller's trace context from the request headers.
   * @default the global propagator: W3C Trace Context (`traceparent`) and
   * Baggage once the SDK is started, or what OTEL_PROPAGATORS names
   */
  readonly propagator?: TextMapPropagator;
  /** Shared with the operation metrics (useObservability). @default records of its own */
  readonly records?: OperationRecords;
}

const headerGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

/**
 * One SERVER span per GraphQL operation (each operation of a batched HTTP
 * request has its own), named `query Overview`, continuing the caller's
 * trace when the request carries a `traceparent`. The operation's context
 * (its span) goes on the request's scope when it starts executing, so the
 * statement spans made at the repository's door become its children without
 * an AsyncLocalStorage (see startTracing); it is also made the active
 * context, for a context manager that someone else registered.
 */
export function useTracing({ tracer, propagator = propagation, records = new OperationRecords() }: UseTracingOptions): Plugin {
  // Keyed by the operation's context object, which yoga and envelop share from params to execution.
  const spans = new WeakMap<object, { span: Span; context: Context }>();
  return {
    onParams({ paramsHandler, setParamsHandler }) {
      setParamsHandler((payload) => {
        const parent = propagator.extract(otelContext.active(), payload.request.headers, headerGetter);
        const span = tracer.startSpan('graphql', { kind: SpanKind.SERVER }, parent);
        const context = trace.setSpan(parent, span);
        spans.set(payload.context, { span, context });
        return otelContext.with(context, async () => {
          try {
            const result = await paramsHandler(payload);
            if (!(Symbol.asyncIterator in result) && result.errors?.length) {
              const code = result.errors?.[0]?.extensions?.code;
              // The code, never the message: messages can quote a userId.
              const errorType = typeof code === 'string' ? code : 'GraphQLError';
              span.setAttribute(SpanAttr.ERROR_TYPE, errorType);
              span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
            }
            return result;
          } catch (err) {
            span.setStatus({ code: SpanStatusCode.ERROR });
            throw err;
          } finally {
            span.end();
          }
        });
      });
    },
    onParse() {
      return ({ result, context }) => {
        const span = spans.get(context)?.span;
        const op = records.fromParse(context, result);
        if (!span || !op) return;
        span.updateName(operationSpanName(op));
        span.setAttribute(SpanAttr.GRAPHQL_OPERATION_TYPE, op.type);
        if (op.name) span.setAttribute(SpanAttr.GRAPHQL_OPERATION_NAME, op.name);
      };
    },
    onExecute({ args }) {
      const operation = spans.get(args.contextValue as object);
      if (!operation) return;
      const { requestId, scope } = args.contextValue as { requestId?: unknown; scope?: RequestScope };
      if (typeof requestId === 'string') operation.span.setAttribute(SpanAttr.REQUEST_ID, requestId);
      if (scope) scope.traceParent = operation.context;
    },
  };
}
