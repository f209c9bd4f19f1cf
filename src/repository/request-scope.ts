import type { ConsistencySession } from '../sharding/consistency-session.js';
import type { Deadline } from './deadline.js';
import { OperationTooComplexError } from './errors.js';

/**
 * How many statements one request may send. The estimate made before
 * execution should keep a request well inside it; this is the backstop at
 * the door for whatever the estimate could not foresee (retries on another
 * node, a resolver that asks more than expected).
 */
export class StatementBudget {
  private sent = 0;

  constructor(readonly max: number) {}

  /** Statements counted so far (refused ones included). */
  get used(): number {
    return this.sent;
  }

  /** Counts one statement, or throws OPERATION_TOO_COMPLEX (limit `statements`) when it would go over. */
  take(): void {
    this.sent++;
    if (this.sent > this.max) {
      throw new OperationTooComplexError(
        'statements',
        this.max,
        `The operation sent more than ${this.max} SQL statements and was stopped.`,
      );
    }
  }
}

/**
 * What one GraphQL request carries down to every statement it sends. Created
 * once per request with the GraphQL context and passed through the
 * repository in QueryOptions; the door reads it. Paths that are not requests
 * (migrations, seeding) pass none: no budget, no deadline.
 */
export interface RequestScope {
  readonly requestId: string;
  readonly statements: StatementBudget;
  /** Absolute deadline of the request (ms on the door's clock): no statement or wait runs past it (the failover buffer included). */
  readonly deadline?: Deadline;
  /** Read-your-writes: positions to honour on reads, positions of writes to hand back. */
  readonly consistency?: ConsistencySession;
  /** `EVENTUAL` reads avoid replicas whose measured lag is above this many ms (the primary serves when none qualifies). */
  readonly maxStalenessMs?: number;
  /**
   * The tracing layer's parent for the spans of this request's statements
   * (its operation span's context), set when the operation starts executing;
   * opaque here. Carried by the scope rather than by an AsyncLocalStorage:
   * on Node 20 one in use puts a promise hook on every promise of the
   * process, which costs more than the spans themselves.
   */
  traceParent?: unknown;
}

/** What a request's headers add to its scope: its deadline, its consistency token, its staleness bound. */
export interface ScopeOptions {
  readonly deadline?: Deadline;
  readonly consistency?: ConsistencySession;
  readonly maxStalenessMs?: number;
}

export function createRequestScope(requestId: string, maxStatements: number, options: ScopeOptions = {}): RequestScope {
  return {
    requestId,
    statements: new StatementBudget(maxStatements),
    ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
    ...(options.consistency ? { consistency: options.consistency } : {}),
    ...(options.maxStalenessMs !== undefined ? { maxStalenessMs: options.maxStalenessMs } : {}),
  };
}
