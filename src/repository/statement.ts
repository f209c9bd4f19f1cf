/** The kind of statement, reported as `db.operation.name` and as a metric label. */
export type DbOperation = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE' | 'DDL' | 'BEGIN' | 'COMMIT' | 'ROLLBACK';

/**
 * A SQL statement known at build time. Every statement the gateway sends is
 * one of these: values travel as `$n` parameters (a page's validated row
 * count alone is written into its text, see usersPageStatement), and
 * `reportedText` is safe to show in spans (`db.query.text`).
 */
export interface Statement {
  /** Stable name; also the name of the server-side prepared statement. */
  readonly name: string;
  readonly text: string;
  /**
   * The text spans show (`db.query.text`): `text` itself, unless the text
   * carries a literal that comes from a request (a page size), which is shown
   * sanitized as `?`, the way OpenTelemetry sanitizes literals. Spans then
   * never show a request's values, and one statement shape shows one text.
   */
  readonly reportedText: string;
  readonly operation: DbOperation;
  /** Prepare once per connection and reuse (hot statements). @default true */
  readonly prepare?: boolean;
}

export function statement(name: string, operation: DbOperation, text: string, prepare = true, reportedText = text): Statement {
  return Object.freeze({ name, operation, text: folded(text), reportedText: folded(reportedText), prepare });
}

function folded(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
