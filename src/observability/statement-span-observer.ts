import { context, SpanKind, SpanStatusCode, type Context, type Tracer } from '@opentelemetry/api';
import type { StatementEvent, StatementObserver, StatementOutcome } from '../repository/statement-observer.js';
import type { ShardManager } from '../sharding/shard-manager.js';
import { statementFailure, statementSpan } from './statement-span.js';

/**
 * One CLIENT span per statement sent to a shard, made at the repository's
 * door so that no statement can miss it. The span starts when the statement
 * does, as a child of its request's operation span (which useTracing puts
 * on the request's scope), or else of whatever context is active, so a
 * scatter-gather shows one span per shard side by side.
 */
export class StatementSpanObserver implements StatementObserver {
  constructor(
    private readonly tracer: Tracer,
    private readonly manager: ShardManager,
  ) {}

  onStart(event: StatementEvent): (outcome: StatementOutcome) => void {
    const node = event.target.node;
    const { name, attributes } = statementSpan(event, event.target.role === 'replica' ? this.manager.healthOf(node).lag : null);
    const parent = (event.scope?.traceParent as Context | undefined) ?? context.active();
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
