import type { ColocatedTable } from './colocated-tables.js';
import { RESHARD_RUN_LOCK_KEY, LAYOUT_LOCK_KEY } from './reshard-schema.js';
import { statement } from './statement.js';

/*
 * Every statement of `shardgate reshard` (the objects they use are created by
 * the migrations: see reshard-schema.ts). Parameterised only.
 */

export const LOCK_TIMEOUT = statement('reshard_lock_timeout', 'SELECT', "SELECT set_config('lock_timeout', $1, true)", false);

/** Whether the reshard objects exist (a dry run must not create them: a database the migrations have not reached yet). */
export const OBJECTS_EXIST = statement(
  'reshard_objects_exist',
  'SELECT',
  `SELECT to_regclass('shardgate_reshard') IS NOT NULL AS job,
          to_regclass('shardgate_layout') IS NOT NULL AS layout,
          to_regclass('shardgate_reshard_changes') IS NOT NULL AS changes`,
  false,
);

export const SELECT_JOBS = statement(
  'reshard_jobs',
  'SELECT',
  'SELECT job_id, phase, to_epoch, copy_cursor, copy_done, copied FROM shardgate_reshard',
  false,
);

export const UPSERT_JOB = statement(
  'reshard_job_upsert',
  'INSERT',
  `INSERT INTO shardgate_reshard (job_id, phase, to_epoch) VALUES ($1, $2, $3)
   ON CONFLICT (job_id) DO UPDATE SET phase = EXCLUDED.phase, to_epoch = EXCLUDED.to_epoch, updated_at = now()`,
  false,
);

export const SAVE_COPY_PROGRESS = statement(
  'reshard_copy_progress',
  'UPDATE',
  'UPDATE shardgate_reshard SET copy_cursor = $2, copied = $3, copy_done = $4, updated_at = now() WHERE job_id = $1',
  false,
);

export const DELETE_OTHER_JOBS = statement('reshard_jobs_forget', 'DELETE', 'DELETE FROM shardgate_reshard WHERE job_id <> $1', false);

export const SELECT_LATEST_LAYOUT = statement(
  'reshard_layout_latest',
  'SELECT',
  'SELECT epoch, topology FROM shardgate_layout ORDER BY epoch DESC LIMIT 1',
  false,
);

export const INSERT_LAYOUT = statement(
  'reshard_layout_record',
  'INSERT',
  'INSERT INTO shardgate_layout (epoch, topology) VALUES ($1, $2::jsonb) ON CONFLICT (epoch) DO NOTHING',
  false,
);

/** Sets the guard unless it is already there (a resumed run keeps what the first one set). */
export const INIT_GUARD = statement(
  'reshard_guard_init',
  'INSERT',
  'INSERT INTO shardgate_layout_guard (state, shard_count, shard_id) VALUES ($1, $2, $3) ON CONFLICT (only_row) DO NOTHING',
  false,
);

export const SET_GUARD = statement(
  'reshard_guard_set',
  'INSERT',
  `INSERT INTO shardgate_layout_guard (state, shard_count, shard_id) VALUES ($1, $2, $3)
   ON CONFLICT (only_row) DO UPDATE SET state = EXCLUDED.state, shard_count = EXCLUDED.shard_count, shard_id = EXCLUDED.shard_id`,
  false,
);

/** Waits for every guarded write in flight to commit (they hold the lock shared), and keeps new ones out until commit. */
export const TAKE_LAYOUT_LOCK = statement('reshard_layout_lock', 'SELECT', `SELECT pg_advisory_xact_lock(${LAYOUT_LOCK_KEY})`, false);

// email_claim: the claim the row's email was written under moves with the row (see email-statements.ts).
const COLUMNS = 'user_id, name, email, created_at, email_claim';

/** One batch of a database's users in user_id order, after a cursor (null: from the start). */
export const SCAN_USERS = statement(
  'reshard_scan',
  'SELECT',
  `SELECT ${COLUMNS} FROM users WHERE $1::varchar IS NULL OR user_id > $1::varchar ORDER BY user_id LIMIT $2`,
  false,
);

export const SCAN_USER_IDS = statement(
  'reshard_scan_ids',
  'SELECT',
  'SELECT user_id FROM users WHERE $1::varchar IS NULL OR user_id > $1::varchar ORDER BY user_id LIMIT $2',
  false,
);

export const SELECT_USERS_BY_IDS = statement(
  'reshard_users_by_ids',
  'SELECT',
  `SELECT ${COLUMNS} FROM users WHERE user_id = ANY($1::varchar[])`,
  false,
);

export const UPSERT_USERS = statement(
  'reshard_upsert',
  'INSERT',
  `INSERT INTO users (user_id, name, email, created_at, email_claim)
   SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::timestamptz[], $5::varchar[])
   ON CONFLICT (user_id) DO UPDATE
   SET name = EXCLUDED.name, email = EXCLUDED.email, created_at = EXCLUDED.created_at, email_claim = EXCLUDED.email_claim`,
  false,
);

export const DELETE_USERS = statement('reshard_delete', 'DELETE', 'DELETE FROM users WHERE user_id = ANY($1::varchar[])', false);

export const COUNT_USERS = statement('reshard_count', 'SELECT', 'SELECT count(*)::int8 AS n FROM users', false);

export const SELECT_CHANGES = statement(
  'reshard_changes',
  'SELECT',
  'SELECT seq::text AS seq, user_id FROM shardgate_reshard_changes ORDER BY seq LIMIT $1',
  false,
);

export const DELETE_CHANGES = statement(
  'reshard_changes_done',
  'DELETE',
  'DELETE FROM shardgate_reshard_changes WHERE seq = ANY($1::int8[])',
  false,
);

export const COUNT_CHANGES = statement('reshard_backlog', 'SELECT', 'SELECT count(*)::int8 AS n FROM shardgate_reshard_changes', false);

/** Change capture on or off (the guard captures gateway writes while it is on). */
export const SET_CAPTURE = statement('reshard_capture', 'UPDATE', 'UPDATE shardgate_layout_guard SET capture = $1', false);

export const CLEAR_CHANGES = statement('reshard_changes_clear', 'DELETE', 'DELETE FROM shardgate_reshard_changes', false);

/** Names the session in pg_stat_activity for the transaction that holds the run lock. */
export const NAME_SESSION = statement('reshard_name_session', 'SELECT', "SELECT set_config('application_name', $1, true)", false);

/** Held until the transaction ends, or the session does (a run that dies releases it). */
export const TRY_RUN_LOCK = statement(
  'reshard_run_lock',
  'SELECT',
  `SELECT pg_try_advisory_xact_lock(${RESHARD_RUN_LOCK_KEY}) AS locked`,
  false,
);

/** The session holding the run lock: its application_name names the run (host and pid). */
export const RUN_LOCK_HOLDER = statement(
  'reshard_run_lock_holder',
  'SELECT',
  `SELECT a.application_name AS name,
          to_char(a.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS since
   FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
   WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
     AND ((l.classid::int8 << 32) | l.objid::int8) = ${RESHARD_RUN_LOCK_KEY}`,
  false,
);

/** Queue users for the catch-up (after a failed verification: copy them again). */
export const QUEUE_CHANGES = statement(
  'reshard_changes_queue',
  'INSERT',
  'INSERT INTO shardgate_reshard_changes (user_id) SELECT unnest($1::varchar[])',
  false,
);

/**
 * A digest per user over (user_id, name, email, created_at to the
 * microsecond), each field length-prefixed so that no two different rows
 * can concatenate alike.
 */
export const USER_DIGESTS = statement(
  'reshard_digests',
  'SELECT',
  `SELECT user_id,
          md5(length(user_id) || ':' || user_id || length(name) || ':' || name || length(email) || ':' || email
              || (extract(epoch FROM created_at) * 1000000)::int8::text) AS digest
   FROM users`,
  false,
);
/**
 * The statements that move a module's co-located table with its owners,
 * whatever its columns: rows travel as their JSON text (`to_jsonb`, every
 * value exact: numbers as text, timestamps to the microsecond) and are
 * inserted back by `jsonb_populate_recordset` over the table's own row
 * type. The table and column names were checked as plain identifiers when
 * the module loaded.
 */
export function colocatedTableStatements(t: ColocatedTable) {
  const { table, ownerColumn: owner } = t;
  return {
    rowsOfUsers: statement(
      `reshard_rows_${table}`,
      'SELECT',
      `SELECT ${owner}::text AS user_id, to_jsonb(x)::text AS doc FROM ${table} x WHERE ${owner} = ANY($1::varchar[])`,
      false,
    ),
    deleteOfUsers: statement(`reshard_delete_${table}`, 'DELETE', `DELETE FROM ${table} WHERE ${owner} = ANY($1::varchar[])`, false),
    insert: statement(
      `reshard_insert_${table}`,
      'INSERT',
      `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)`,
      false,
    ),
    /** Per user: how many rows and a digest over them (each row's JSON text, in text order). */
    digests: statement(
      `reshard_digests_${table}`,
      'SELECT',
      `SELECT ${owner}::text AS user_id, count(*)::int8 AS n,
              md5(string_agg(to_jsonb(x)::text, '|' ORDER BY to_jsonb(x)::text COLLATE "C")) AS digest
       FROM ${table} x GROUP BY ${owner}`,
      false,
    ),
  };
}

/** Every table of the database that carries the layout guard: the co-located tables, whoever declared them. */
export const GUARDED_TABLES = statement(
  'reshard_guarded_tables',
  'SELECT',
  `SELECT c.relname AS table_name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
   WHERE t.tgname = 'shardgate_layout_guard' AND NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace
   ORDER BY c.relname`,
  false,
);
