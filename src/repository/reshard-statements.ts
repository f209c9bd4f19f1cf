import { statement } from './statement.js';

/*
 * Every statement of `shardgate reshard`, and the objects it installs on the
 * primaries of the old and the new layout. Parameterised only.
 *
 * - `shardgate_layout`: the layouts recorded so far (epoch, topology without
 *   passwords). Gateways read the highest epoch and adopt it.
 * - `shardgate_layout_guard`: one row saying what this database accepts from
 *   gateways: `open` (anything), `active` (only users with
 *   fnv1a32(user_id) % shard_count = shard_id), `paused` (nothing: a cutover
 *   is in progress) or `retired` (nothing: no longer part of the layout).
 *   A refused write fails with SQLSTATE SGL01, which the gateway retries
 *   after re-reading the layout.
 * - `shardgate_reshard`: the job's phase and copy progress, on every database.
 * - `shardgate_reshard_changes`: (seq, user_id) of every user a gateway wrote
 *   on an old shard since the copy began (its row or a row it owns in a
 *   co-located table), applied to the new shards by the catch-up, which
 *   copies the user's whole group again.
 *
 * The tool's own connections carry `application_name = shardgate-reshard`,
 * which the guard lets through and the change capture ignores.
 */

/**
 * The tables stored with their owner (a `user_id` column, the shard key):
 * the layout guard and the change capture watch each of them, so that a
 * write to any row of a user's group pauses at a cutover and queues the
 * user to be copied again. The owner's table first.
 */
export const CO_LOCATED_TABLES = ['users', 'orders'] as const;

/** The application_name of the tool's connections. */
export const RESHARD_APPLICATION_NAME = 'shardgate-reshard';

/** Taken shared by every guarded write until it commits, exclusively by a cutover: the pause waits for writes in flight. */
export const LAYOUT_LOCK_KEY = 7245400015;

/** The SQLSTATE of a write refused by the layout guard: retry after re-reading the layout. */
export const LAYOUT_CHANGING_SQLSTATE = 'SGL01';

export const LOCK_TIMEOUT = statement('reshard_lock_timeout', 'SELECT', "SELECT set_config('lock_timeout', $1, true)", false);

// No SQL comments inside statements: statement() folds whitespace, newlines included.
// The guard takes the layout lock shared until commit, so that a cutover waits for the write before it pauses.
export const INSTALL_LAYOUT_OBJECTS = [
  statement(
    'reshard_fnv1a32',
    'DDL',
    `CREATE OR REPLACE FUNCTION shardgate_fnv1a32(key text) RETURNS bigint
     LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
     DECLARE
       h bigint := 2166136261;
       b bytea := convert_to(key, 'UTF8');
     BEGIN
       FOR i IN 0 .. length(b) - 1 LOOP
         h := ((h # get_byte(b, i)) * 16777619) & 4294967295;
       END LOOP;
       RETURN h;
     END
     $fn$`,
    false,
  ),
  statement(
    'reshard_layout_table',
    'DDL',
    `CREATE TABLE IF NOT EXISTS shardgate_layout (
       epoch       int PRIMARY KEY,
       topology    jsonb NOT NULL,
       recorded_at timestamptz NOT NULL DEFAULT now()
     )`,
    false,
  ),
  statement(
    'reshard_guard_table',
    'DDL',
    `CREATE TABLE IF NOT EXISTS shardgate_layout_guard (
       only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
       state       text NOT NULL CHECK (state IN ('open', 'active', 'paused', 'retired')),
       shard_count int,
       shard_id    int,
       CHECK (state <> 'active' OR (shard_count > 0 AND shard_id >= 0 AND shard_id < shard_count))
     )`,
    false,
  ),
  statement(
    'reshard_job_table',
    'DDL',
    `CREATE TABLE IF NOT EXISTS shardgate_reshard (
       job_id      text PRIMARY KEY,
       phase       text NOT NULL,
       to_epoch    int NOT NULL,
       copy_cursor text,
       copy_done   boolean NOT NULL DEFAULT false,
       copied      bigint NOT NULL DEFAULT 0,
       updated_at  timestamptz NOT NULL DEFAULT now()
     )`,
    false,
  ),
  statement(
    'reshard_guard_function',
    'DDL',
    `CREATE OR REPLACE FUNCTION shardgate_layout_guard() RETURNS trigger
     LANGUAGE plpgsql AS $fn$
     DECLARE
       g record;
       uid text;
     BEGIN
       IF current_setting('application_name') = '${RESHARD_APPLICATION_NAME}' THEN
         IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
         RETURN NEW;
       END IF;
       PERFORM pg_advisory_xact_lock_shared(${LAYOUT_LOCK_KEY});
       SELECT state, shard_count, shard_id INTO g FROM shardgate_layout_guard;
       IF g.state = 'paused' THEN
         RAISE EXCEPTION USING ERRCODE = '${LAYOUT_CHANGING_SQLSTATE}',
           MESSAGE = 'shardgate: writes are paused while the shard layout changes; retry';
       ELSIF g.state = 'retired' THEN
         RAISE EXCEPTION USING ERRCODE = '${LAYOUT_CHANGING_SQLSTATE}',
           MESSAGE = 'shardgate: this database is no longer a shard of the current layout; re-read the layout and retry';
       ELSIF g.state = 'active' THEN
         uid := CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END;
         IF shardgate_fnv1a32(uid) % g.shard_count <> g.shard_id
            OR (TG_OP = 'UPDATE' AND shardgate_fnv1a32(OLD.user_id) % g.shard_count <> g.shard_id) THEN
           RAISE EXCEPTION USING ERRCODE = '${LAYOUT_CHANGING_SQLSTATE}',
             MESSAGE = 'shardgate: this user belongs to another shard under the current layout; re-read the layout and retry';
         END IF;
       END IF;
       IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
       RETURN NEW;
     END
     $fn$`,
    false,
  ),
  ...CO_LOCATED_TABLES.map((table) =>
    statement(
      `reshard_guard_trigger_${table}`,
      'DDL',
      `CREATE OR REPLACE TRIGGER shardgate_layout_guard BEFORE INSERT OR UPDATE OR DELETE ON ${table}
       FOR EACH ROW EXECUTE FUNCTION shardgate_layout_guard()`,
      false,
    ),
  ),
];

export const INSTALL_CHANGE_CAPTURE = [
  statement(
    'reshard_changes_table',
    'DDL',
    `CREATE TABLE IF NOT EXISTS shardgate_reshard_changes (
       seq     bigserial PRIMARY KEY,
       user_id varchar(255) NOT NULL
     )`,
    false,
  ),
  statement(
    'reshard_capture_function',
    'DDL',
    `CREATE OR REPLACE FUNCTION shardgate_reshard_capture() RETURNS trigger
     LANGUAGE plpgsql AS $fn$
     BEGIN
       IF current_setting('application_name') <> '${RESHARD_APPLICATION_NAME}' THEN
         IF TG_OP <> 'INSERT' THEN
           INSERT INTO shardgate_reshard_changes (user_id) VALUES (OLD.user_id);
         END IF;
         IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.user_id IS DISTINCT FROM OLD.user_id) THEN
           INSERT INTO shardgate_reshard_changes (user_id) VALUES (NEW.user_id);
         END IF;
       END IF;
       RETURN NULL;
     END
     $fn$`,
    false,
  ),
  ...CO_LOCATED_TABLES.map((table) =>
    statement(
      `reshard_capture_trigger_${table}`,
      'DDL',
      `CREATE OR REPLACE TRIGGER shardgate_reshard_capture AFTER INSERT OR UPDATE OR DELETE ON ${table}
       FOR EACH ROW EXECUTE FUNCTION shardgate_reshard_capture()`,
      false,
    ),
  ),
];

export const DROP_CHANGE_CAPTURE = [
  ...CO_LOCATED_TABLES.map((table) =>
    statement(`reshard_drop_capture_trigger_${table}`, 'DDL', `DROP TRIGGER IF EXISTS shardgate_reshard_capture ON ${table}`, false),
  ),
  statement('reshard_drop_changes_table', 'DDL', 'DROP TABLE IF EXISTS shardgate_reshard_changes', false),
];

/** Whether the reshard objects exist (a dry run must not create them). */
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

export const LAYOUT_TABLE_PRESENT = statement(
  'reshard_layout_present',
  'SELECT',
  "SELECT to_regclass('shardgate_layout') IS NOT NULL AS present",
  false,
);

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

const COLUMNS = 'user_id, name, email, created_at';

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
  `INSERT INTO users (user_id, name, email, created_at)
   SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::timestamptz[])
   ON CONFLICT (user_id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, created_at = EXCLUDED.created_at`,
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

const ORDER_COLUMNS = 'order_id, user_id, status, total_cents, currency, created_at';

/** The orders of a batch of users: copied with them, as one group. */
export const SELECT_ORDERS_OF_USERS = statement(
  'reshard_orders_of_users',
  'SELECT',
  `SELECT ${ORDER_COLUMNS} FROM orders WHERE user_id = ANY($1::varchar[])`,
  false,
);

/** A group's orders are replaced whole on the target: deleted, then inserted as the source has them. */
export const DELETE_ORDERS_OF_USERS = statement(
  'reshard_orders_delete',
  'DELETE',
  'DELETE FROM orders WHERE user_id = ANY($1::varchar[])',
  false,
);

export const INSERT_ORDERS = statement(
  'reshard_orders_insert',
  'INSERT',
  `INSERT INTO orders (${ORDER_COLUMNS})
   SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::int8[], $5::varchar[], $6::timestamptz[])`,
  false,
);

/**
 * A digest per user over its orders (each over order_id, status,
 * total_cents, currency, created_at to the microsecond, fields
 * length-prefixed, in order_id byte order), and how many it has.
 */
export const ORDER_DIGESTS = statement(
  'reshard_order_digests',
  'SELECT',
  `SELECT user_id, count(*)::int8 AS n,
          md5(string_agg(length(order_id) || ':' || order_id || length(status) || ':' || status || ':' || total_cents::text
                         || ':' || currency || ':' || (extract(epoch FROM created_at) * 1000000)::int8::text, '|'
                         ORDER BY order_id COLLATE "C")) AS digest
   FROM orders GROUP BY user_id`,
  false,
);
