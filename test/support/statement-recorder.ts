import type { StatementEvent, StatementObserver } from '../../src/repository/statement-observer.js';

export interface RecordedStatement {
  nodeId: string;
  shardId: number;
  role: 'primary' | 'replica';
  reason: string;
  statement: string;
  batchSize: number | undefined;
  outcome?: string;
}

/**
 * Sits at the repository's door and records every statement: where it went,
 * why, and how many keys it carried. Tests use it to prove batching and
 * routing, the way Vitess tests swap in a recording fake.
 */
export class StatementRecorder implements StatementObserver {
  readonly statements: RecordedStatement[] = [];

  onStart(event: StatementEvent) {
    const entry: RecordedStatement = {
      nodeId: event.target.node.id,
      shardId: event.target.node.shardId,
      role: event.target.role,
      reason: event.target.reason,
      statement: event.statement.name,
      batchSize: event.batchSize,
    };
    this.statements.push(entry);
    return (outcome: { outcome: string }) => {
      entry.outcome = outcome.outcome;
    };
  }

  reset(): void {
    this.statements.length = 0;
  }

  /** Statements other than transaction control, optionally of one name. */
  of(name?: string): RecordedStatement[] {
    return this.statements.filter((s) => (name ? s.statement === name : !['begin', 'commit', 'rollback'].includes(s.statement)));
  }
}
