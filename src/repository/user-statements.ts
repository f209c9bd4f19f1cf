import { statement, type Statement } from './statement.js';

/**
 * Every SQL statement about users. Parameterised only, but for a page's
 * validated row count (see usersPageStatement).
 *
 * Ordering uses `user_id COLLATE "C"` (byte order) so that the merge of the
 * shards' pages in JavaScript (code point order, the same for UTF-8) agrees
 * with PostgreSQL whatever the database's collation, and so that the
 * `(created_at, user_id COLLATE "C")` index serves both directions.
 */
const COLUMNS = 'user_id, name, email, created_at';

export const INSERT_USER = statement(
  'users_insert',
  'INSERT',
  `INSERT INTO users (user_id, name, email) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
);

export const SELECT_USERS_BY_IDS = statement(
  'users_select_many',
  'SELECT',
  `SELECT ${COLUMNS} FROM users WHERE user_id = ANY($1::varchar[])`,
);

/** One user by id: a plain `= $1`, whose one cached plan is an Index Scan. */
export const SELECT_USER_BY_ID = statement('users_select_one', 'SELECT', `SELECT ${COLUMNS} FROM users WHERE user_id = $1`);

/**
 * Below this many ids a lookup names each id as its own parameter.
 *
 * PostgreSQL estimates an array parameter of unknown length at 10 elements.
 * With fewer ids every custom plan looks cheaper than that generic plan, so
 * PostgreSQL never caches a plan for `= ANY($1)` and plans every execution
 * again: on a realistic table a one-key read cost the database about twice
 * a `= $1` read (BENCHMARKS.md has the measurements). With one parameter per
 * id the generic plan is estimated for the real count and is kept after the
 * first executions. From 10 ids on, the array form's generic plan is kept.
 */
export const FEW_IDS_LIMIT = 10;

const fewIdsStatements: Statement[] = [];

/** The statement that reads `count` users by id, and how its parameters carry the ids. */
export function usersByIdsStatement(count: number): { statement: Statement; spread: boolean } {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`a lookup reads at least 1 id, not ${count}`);
  if (count === 1) return { statement: SELECT_USER_BY_ID, spread: true };
  if (count >= FEW_IDS_LIMIT) return { statement: SELECT_USERS_BY_IDS, spread: false };
  let stmt = fewIdsStatements[count];
  if (!stmt) {
    const params = Array.from({ length: count }, (_, i) => `$${i + 1}`).join(', ');
    stmt = statement(
      `users_select_few_${count}`,
      'SELECT',
      `SELECT ${COLUMNS} FROM users WHERE user_id = ANY(ARRAY[${params}]::varchar[])`,
    );
    fewIdsStatements[count] = stmt;
  }
  return { statement: stmt, spread: true };
}

export const UPDATE_USER = statement(
  'users_update',
  'UPDATE',
  `UPDATE users SET name = COALESCE($2, name), email = COALESCE($3, email) WHERE user_id = $1 RETURNING ${COLUMNS}`,
);

export const DELETE_USER = statement('users_delete', 'DELETE', 'DELETE FROM users WHERE user_id = $1');

export const COUNT_USERS = statement('users_count', 'SELECT', 'SELECT count(*)::int8 AS n FROM users');

const PAGE_ORDER = {
  asc: 'ORDER BY created_at ASC, user_id COLLATE "C" ASC',
  desc: 'ORDER BY created_at DESC, user_id COLLATE "C" DESC',
} as const;

const PAGE_AFTER = {
  asc: 'WHERE (created_at, user_id COLLATE "C") > ($1::timestamptz, $2::varchar COLLATE "C")',
  desc: 'WHERE (created_at, user_id COLLATE "C") < ($1::timestamptz, $2::varchar COLLATE "C")',
} as const;

/** The largest page a statement may ask one shard for. */
export const MAX_PAGE_ROWS = 1_000;

const pageStatements = new Map<string, Statement>();

/**
 * The keyset page statement of one shard: its first `limit` rows in
 * (created_at, user_id) order, from the start or strictly after `$1, $2`.
 *
 * The row count is part of the text, one prepared statement per page size,
 * not a `$n` parameter: with `LIMIT $n` PostgreSQL cannot cache the plan
 * (the generic plan's cost, estimated for an unknown limit, never beats the
 * custom one), so every execution would be planned again, on every shard a
 * page fans out to. The limit is a validated integer, never client text,
 * and the page sizes a client may ask for are few, so the statements are too.
 * Spans show the size as `?` (Statement.reportedText): it comes from the
 * request, and every size of one page shape is one query text there.
 */
export function usersPageStatement(direction: 'asc' | 'desc', afterCursor: boolean, limit: number): Statement {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_ROWS) {
    throw new RangeError(`a page holds 1 to ${MAX_PAGE_ROWS} rows, not ${limit}`);
  }
  const name = `users_page_${afterCursor ? 'after' : 'first'}_${direction}_${limit}`;
  let stmt = pageStatements.get(name);
  if (!stmt) {
    const shape = `SELECT ${COLUMNS} FROM users ${afterCursor ? `${PAGE_AFTER[direction]} ` : ''}${PAGE_ORDER[direction]} LIMIT`;
    stmt = statement(name, 'SELECT', `${shape} ${limit}`, true, `${shape} ?`);
    pageStatements.set(name, stmt);
  }
  return stmt;
}

/** Bulk load for seeding and benchmarks: existing ids are skipped; clock_timestamp() gives each row its own time; $4 the email claims. */
export const INSERT_USERS_BULK = statement(
  'users_insert_bulk',
  'INSERT',
  `INSERT INTO users (user_id, name, email, email_claim, created_at)
   SELECT u.user_id, u.name, u.email, u.email_claim, clock_timestamp()
   FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[]) WITH ORDINALITY AS u(user_id, name, email, email_claim, ord)
   ORDER BY u.ord
   ON CONFLICT (user_id) DO NOTHING`,
  false,
);
