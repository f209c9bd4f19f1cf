import type { StatementEvent, StatementObserver, StatementOutcome } from '../repository/statement-observer.js';
import { servedBy } from './consistency-served-by.js';
import type { GatewayMetrics } from './gateway-metrics.js';

/** Counts and times every statement at the repository's door, so no caller can forget to. */
export class StatementMetricsObserver implements StatementObserver {
  constructor(private readonly metrics: GatewayMetrics) {}

  onStart(event: StatementEvent): (outcome: StatementOutcome) => void {
    const started = performance.now();
    return (outcome) => {
      this.metrics.recordStatement(event.target, event.statement.operation, outcome.outcome, (performance.now() - started) / 1000);
      const served = outcome.outcome === 'ok' ? servedBy(event.target.reason) : null;
      if (served) this.metrics.recordConsistencyRead(event.target.node, served);
    };
  }

  onHedge(shardId: number, outcome: 'won' | 'lost'): void {
    this.metrics.recordHedgedRead(shardId, outcome);
  }
}
