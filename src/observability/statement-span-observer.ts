import { context, SpanKind, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api';
import type { StatementEvent, StatementObserver, StatementOutcome } from '../repository/statement-observer.js';
import type { ShardManager } from '../sharding/shard-manager.js';
import { statementFailure, statementSpan } from './statement-span.js';

/**
 * One CLIENT span per statement sent to a shard, made at the repository's
 * door so that no statement can miss it. The span starts when the statement
 * does, as a child of its request's operation span (which useTracing puts
 * on the request's scope), or else of whatever context is active, so a
 * scatter-gather shows one span per shard side by side.
 *
 * A statement of an operation whose span is not recording (sampled out)
 * makes no span at all: every sampler the SDK configures from
 * `OTEL_TRACES_SAMPLER` decides a child of a local parent as it decided the
 * parent (the parent-based ones follow it, the ratio one reads the same
 * trace id), so the span would be dropped anyway, after its attributes, ids
 * and sampling had cost the CPU that sampling is meant to save.
 */
const NOTHING_TO_END = (): void => {};

export class StatementSpanObserver implements StatementObserver {
  constructor(
    private readonly tracer: Tracer,
    private readonly manager: ShardManager,
  ) {}

  onStart(event: StatementEvent): (outcome: StatementOutcome) => void {
    const parent = (event.scope?.traceParent as Context | undefined) ?? context.active();
    const parentSpan = trace.getSpan(parent);
    if (parentSpan && !parentSpan.isRecording()) return NOTHING_TO_END;
    const node = event.target.node;
    const { name, attributes } = statementSpan(event, event.target.role === 'replica' ? this.manager.healthOf(node).lag : null);
    const span = this.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
    return (outcome) => {
      if (outcome.outcome !== 'ok') {
        const failure = statementFailure(outcome);
        span.setAttributes(failure.attributes);
        span.setStatus({ code: SpanStatusCode.ERROR, message: failure.errorType });
      }
      span.end();
    };
  }
}
