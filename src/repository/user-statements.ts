import { statement } from './statement.js';

/**
 * Every SQL statement about users. Parameterised only.
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

export const UPDATE_USER = statement(
  'users_update',
  'UPDATE',
  `UPDATE users SET name = COALESCE($2, name), email = COALESCE($3, email) WHERE user_id = $1 RETURNING ${COLUMNS}`,
);

export const DELETE_USER = statement('users_delete', 'DELETE', 'DELETE FROM users WHERE user_id = $1');

export const COUNT_USERS = statement('users_count', 'SELECT', 'SELECT count(*)::int8 AS n FROM users');

export const PAGE_FIRST_ASC = statement(
  'users_page_first_asc',
  'SELECT',
  `SELECT ${COLUMNS} FROM users ORDER BY created_at ASC, user_id COLLATE "C" ASC LIMIT $1`,
);

export const PAGE_FIRST_DESC = statement(
  'users_page_first_desc',
  'SELECT',
  `SELECT ${COLUMNS} FROM users ORDER BY created_at DESC, user_id COLLATE "C" DESC LIMIT $1`,
);

export const PAGE_AFTER_ASC = statement(
  'users_page_after_asc',
  'SELECT',
  `SELECT ${COLUMNS} FROM users
   WHERE (created_at, user_id COLLATE "C") > ($1::timestamptz, $2::varchar COLLATE "C")
   ORDER BY created_at ASC, user_id COLLATE "C" ASC LIMIT $3`,
);

export const PAGE_AFTER_DESC = statement(
  'users_page_after_desc',
  'SELECT',
  `SELECT ${COLUMNS} FROM users
   WHERE (created_at, user_id COLLATE "C") < ($1::timestamptz, $2::varchar COLLATE "C")
   ORDER BY created_at DESC, user_id COLLATE "C" DESC LIMIT $3`,
);

/** Bulk load for seeding and benchmarks: existing ids are skipped; clock_timestamp() gives each row its own time. */
export const INSERT_USERS_BULK = statement(
  'users_insert_bulk',
  'INSERT',
  `INSERT INTO users (user_id, name, email, created_at)
   SELECT u.user_id, u.name, u.email, clock_timestamp()
   FROM unnest($1::varchar[], $2::varchar[], $3::varchar[]) WITH ORDINALITY AS u(user_id, name, email, ord)
   ORDER BY u.ord
   ON CONFLICT (user_id) DO NOTHING`,
  false,
);
