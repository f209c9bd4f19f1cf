import type { Attributes } from '@opentelemetry/api';
import type { StatementEvent, StatementOutcome } from '../repository/statement-observer.js';
import type { Statement } from '../repository/statement.js';
import type { ReplicaLag } from '../sharding/replica-lag.js';
import { servedBy } from './consistency-served-by.js';
import { DB_SYSTEM_POSTGRESQL, SpanAttr } from './names.js';

export interface StatementSpan {
  /** `{db.query.summary}`, e.g. `SELECT users`, per the database span conventions. */
  readonly name: string;
  readonly attributes: Attributes;
}

/**
 * The table a statement works on, from its text. Statements are constants
 * written in this code base, so a small pattern per operation is enough
 * (the first table the operation names: a write inside a WITH counts);
 * null when there is no single table (a function call, transaction control).
 */
export function collectionOf(stmt: Statement): string | null {
  // A statement that opens with data-modifying WITH clauses writes its table in its last INSERT or UPDATE.
  if (/^WITH\b/i.test(stmt.text) && (stmt.operation === 'INSERT' || stmt.operation === 'UPDATE')) {
    const all = [
      ...stmt.text.matchAll(stmt.operation === 'INSERT' ? /\bINSERT\s+INTO\s+([A-Za-z_][\w.]*)/gi : /\bUPDATE\s+([A-Za-z_][\w.]*)/gi),
    ];
    return all.at(-1)?.[1] ?? null;
  }
  const pattern =
    stmt.operation === 'SELECT' || stmt.operation === 'DELETE'
      ? /\b(?:FROM|JOIN)\s+([A-Za-z_][\w.]*)(?![\w.]|\s*\()/i
      : stmt.operation === 'INSERT'
        ? /\bINSERT\s+INTO\s+([A-Za-z_][\w.]*)/i
        : stmt.operation === 'UPDATE'
          ? /\bUPDATE\s+([A-Za-z_][\w.]*)/i
          : null;
  return pattern?.exec(stmt.text)?.[1] ?? null;
}

/**
 * What the CLIENT span of one statement says: where it went and why, never a
 * parameter value (the text is the constant with `$n` placeholders, and `?`
 * for a page size written into it: see Statement.reportedText).
 * `lag` is what the health checker last measured for the node, if a replica.
 */
export function statementSpan(event: StatementEvent, lag: ReplicaLag | null): StatementSpan {
  const { node, reason, role } = event.target;
  const { summary, base } = fixedPart(event.statement, node, role, reason);
  // The fixed attributes are built once per statement, node, role and reason; a span copies them.
  const attributes: Attributes = { ...base };
  if (role === 'replica' && lag && lag.seconds !== null) attributes[SpanAttr.SHARD_REPLICA_LAG_SECONDS] = lag.seconds;
  if (event.batchSize !== undefined) attributes[SpanAttr.SHARD_BATCH_KEYS] = event.batchSize;
  if (event.hedge) attributes[SpanAttr.SHARD_HEDGE] = true;
  return { name: summary, attributes };
}

type Target = StatementEvent['target'];
interface FixedPart {
  readonly summary: string;
  readonly base: Readonly<Attributes>;
}
const fixedParts = new WeakMap<Statement, WeakMap<Target['node'], Map<string, FixedPart>>>();

function fixedPart(stmt: Statement, node: Target['node'], role: Target['role'], reason: Target['reason']): FixedPart {
  let byNode = fixedParts.get(stmt);
  if (!byNode) fixedParts.set(stmt, (byNode = new WeakMap()));
  let byRoute = byNode.get(node);
  if (!byRoute) byNode.set(node, (byRoute = new Map()));
  const key = `${role}/${reason}`;
  let part = byRoute.get(key);
  if (!part) {
    const collection = collectionOf(stmt);
    const summary = collection ? `${stmt.operation} ${collection}` : stmt.operation;
    const base: Attributes = {
      [SpanAttr.DB_SYSTEM_NAME]: DB_SYSTEM_POSTGRESQL,
      [SpanAttr.DB_NAMESPACE]: node.config.dbname,
      [SpanAttr.DB_OPERATION_NAME]: stmt.operation,
      [SpanAttr.DB_QUERY_TEXT]: stmt.reportedText,
      [SpanAttr.DB_QUERY_SUMMARY]: summary,
      [SpanAttr.SERVER_ADDRESS]: node.config.host,
      [SpanAttr.SERVER_PORT]: node.config.port,
      [SpanAttr.SHARD_ID]: node.shardId,
      [SpanAttr.SHARD_ROLE]: role,
      [SpanAttr.SHARD_ROUTE_REASON]: reason,
    };
    if (collection) base[SpanAttr.DB_COLLECTION_NAME] = collection;
    const served = servedBy(reason);
    if (served) base[SpanAttr.SHARD_CONSISTENCY_SERVED_BY] = served;
    part = { summary, base: Object.freeze(base) };
    byRoute.set(key, part);
  }
  return part;
}

/**
 * A failed statement's attributes: the SQLSTATE when there is one, else the
 * socket error code (ECONNREFUSED) or the error's class. Never the message:
 * PostgreSQL's messages quote the values (`Key (user_id)=(alice)`).
 */
export function statementFailure(outcome: StatementOutcome): { errorType: string; attributes: Attributes } {
  const cause = (outcome.error as { cause?: unknown } | undefined)?.cause;
  const causeCode = (cause as { code?: unknown } | null | undefined)?.code;
  // The door sets the SQLSTATE of whatever PostgreSQL sent; the cause's code is otherwise a socket error's.
  const sqlState = outcome.sqlState;
  const errorType = sqlState ?? (typeof causeCode === 'string' ? causeCode : outcome.error instanceof Error ? outcome.error.name : 'Error');
  return {
    errorType,
    attributes: {
      [SpanAttr.ERROR_TYPE]: errorType,
      ...(sqlState ? { [SpanAttr.DB_RESPONSE_STATUS_CODE]: sqlState } : {}),
    },
  };
}
