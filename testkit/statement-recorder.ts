import type { StatementEvent, StatementObserver, StatementOutcome } from '../src/repository/statement-observer.js';

export interface RecordedStatement {
  nodeId: string;
  shardId: number;
  role: 'primary' | 'replica';
  reason: string;
  statement: string;
  batchSize: number | undefined;
  /** The second copy of a hedged read. */
  hedge?: boolean;
  outcome?: string;
}

export interface StatementRecorderOptions {
  /** Keep every statement, not only the count. Off under load, where the list would grow without bound. @default true */
  readonly keep?: boolean;
}

/**
 * Sits at the repository's door and counts, and by default records, every
 * statement (health probes do not pass there): where it went, why, and how
 * many keys it carried. Tests use it to prove batching and routing, the way
 * Vitess tests swap in a recording fake; the bench counts statements per
 * request with it.
 */
export class StatementRecorder implements StatementObserver {
  readonly statements: RecordedStatement[] = [];
  /** Statements the requests asked for: every one but hedges. */
  count = 0;
  /** Hedges: the gateway's own second copies of slow reads, sent only when a read is late (so never a fixed number per request). */
  hedges = 0;
  private readonly keep: boolean;

  constructor(options: StatementRecorderOptions = {}) {
    this.keep = options.keep ?? true;
  }

  onStart(event: StatementEvent) {
    if (event.hedge) this.hedges++;
    else this.count++;
    if (!this.keep) return undefined;
    const entry: RecordedStatement = {
      nodeId: event.target.node.id,
      shardId: event.target.node.shardId,
      role: event.target.role,
      reason: event.target.reason,
      statement: event.statement.name,
      batchSize: event.batchSize,
      ...(event.hedge ? { hedge: true } : {}),
    };
    this.statements.push(entry);
    return (outcome: StatementOutcome) => {
      entry.outcome = outcome.outcome;
    };
  }

  reset(): void {
    this.statements.length = 0;
    this.count = 0;
    this.hedges = 0;
  }

  /** Statements other than transaction control, optionally of one name. */
  of(name?: string): RecordedStatement[] {
    return this.statements.filter((s) => (name ? s.statement === name : !['begin', 'commit', 'rollback'].includes(s.statement)));
  }
}
