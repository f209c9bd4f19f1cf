import type { ColocatedTable } from './colocated-tables.js';
import { statement, type Statement } from './statement.js';

/*
 * The objects behind `shardgate reshard`, created by the migrations on every
 * shard (so that gateways read the recorded layout without asking whether
 * its table exists):
 *
 * - `shardgate_layout`: the layouts recorded so far (epoch, topology without
 *   passwords). Gateways read the highest epoch and adopt it.
 * - `shardgate_layout_guard`: at most one row saying what this database
 *   accepts from gateways: `open` or no row (anything), `active` (only users
 *   with fnv1a32(user_id) % shard_count = shard_id), `paused` (nothing: a
 *   cutover is in progress) or `retired` (nothing: no longer part of the
 *   layout); and whether gateway writes are captured for a reshard's
 *   catch-up. A refused write fails with SQLSTATE SGL01, which the gateway
 *   retries after re-reading the layout.
 * - `shardgate_reshard`: a job's phase and copy progress, on every database.
 * - `shardgate_reshard_changes`: (seq, user_id) of every user a gateway wrote
 *   while capture is on, applied to the new shards by the catch-up.
 *
 * The tool's own connections carry `application_name = shardgate-reshard`,
 * which the guard lets through and does not capture.
 */

/** The application_name of the tool's connections. */
export const RESHARD_APPLICATION_NAME = 'shardgate-reshard';

/** Taken shared by every guarded write until it commits, exclusively by a cutover: the pause waits for writes in flight. */
export const LAYOUT_LOCK_KEY = 7245400015;

/** Held by a running `shardgate reshard` on every old shard of its job, for the run's life (see ReshardStore.tryRunLock). */
export const RESHARD_RUN_LOCK_KEY = 7245400016;

/** The SQLSTATE of a write refused by the layout guard: retry after re-reading the layout. */
export const LAYOUT_CHANGING_SQLSTATE = 'SGL01';

// No SQL comments inside statements: statement() folds whitespace, newlines included.
// The guard takes the layout lock shared until commit, so that a cutover waits for the write before it pauses.
// The owner column is the trigger's argument, so one function guards every co-located table.
// Without a guard row (never resharded), or `open` without capture, a write only takes the lock and reads the row.
export const RESHARD_OBJECTS: readonly Statement[] = [
  statement(
    'm3_fnv1a32',
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
    'm3_layout_table',
    'DDL',
    `CREATE TABLE IF NOT EXISTS shardgate_layout (
       epoch       int PRIMARY KEY,
       topology    jsonb NOT NULL,
       recorded_at timestamptz NOT NULL DEFAULT now()
     )`,
    false,
  ),
  statement(
    'm3_guard_table',
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
  // Databases resharded before these objects were migrations have the table without the column.
  statement(
    'm3_guard_capture',
    'DDL',
    'ALTER TABLE shardgate_layout_guard ADD COLUMN IF NOT EXISTS capture boolean NOT NULL DEFAULT false',
    false,
  ),
  statement(
    'm3_job_table',
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
    'm3_changes_table',
    'DDL',
    `CREATE TABLE IF NOT EXISTS shardgate_reshard_changes (
       seq     bigserial PRIMARY KEY,
       user_id varchar(255) NOT NULL
     )`,
    false,
  ),
  // The capture was a trigger of its own, installed and dropped by each run; the guard captures now.
  statement('m3_drop_old_capture_trigger', 'DDL', 'DROP TRIGGER IF EXISTS shardgate_reshard_capture ON users', false),
  statement('m3_drop_old_capture_function', 'DDL', 'DROP FUNCTION IF EXISTS shardgate_reshard_capture()', false),
  statement(
    'm3_guard_function',
    'DDL',
    `CREATE OR REPLACE FUNCTION shardgate_layout_guard() RETURNS trigger
     LANGUAGE plpgsql AS $fn$
     DECLARE
       g record;
       old_owner text;
       new_owner text;
     BEGIN
       IF current_setting('application_name') = '${RESHARD_APPLICATION_NAME}' THEN
         IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
         RETURN NEW;
       END IF;
       PERFORM pg_advisory_xact_lock_shared(${LAYOUT_LOCK_KEY});
       SELECT state, shard_count, shard_id, capture INTO g FROM shardgate_layout_guard;
       IF g.state = 'paused' THEN
         RAISE EXCEPTION USING ERRCODE = '${LAYOUT_CHANGING_SQLSTATE}',
           MESSAGE = 'shardgate: writes are paused while the shard layout changes; retry';
       ELSIF g.state = 'retired' THEN
         RAISE EXCEPTION USING ERRCODE = '${LAYOUT_CHANGING_SQLSTATE}',
           MESSAGE = 'shardgate: this database is no longer a shard of the current layout; re-read the layout and retry';
       ELSIF g.state IS DISTINCT FROM 'active' AND g.capture IS NOT TRUE THEN
         IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
         RETURN NEW;
       END IF;
       IF TG_OP <> 'INSERT' THEN old_owner := to_jsonb(OLD) ->> TG_ARGV[0]; END IF;
       IF TG_OP <> 'DELETE' THEN new_owner := to_jsonb(NEW) ->> TG_ARGV[0]; END IF;
       IF g.state = 'active'
          AND (shardgate_fnv1a32(new_owner) % g.shard_count <> g.shard_id
               OR shardgate_fnv1a32(old_owner) % g.shard_count <> g.shard_id) THEN
         RAISE EXCEPTION USING ERRCODE = '${LAYOUT_CHANGING_SQLSTATE}',
           MESSAGE = 'shardgate: this user belongs to another shard under the current layout; re-read the layout and retry';
       END IF;
       IF g.capture THEN
         IF old_owner IS NOT NULL THEN
           INSERT INTO shardgate_reshard_changes (user_id) VALUES (old_owner);
         END IF;
         IF new_owner IS DISTINCT FROM old_owner AND new_owner IS NOT NULL THEN
           INSERT INTO shardgate_reshard_changes (user_id) VALUES (new_owner);
         END IF;
       END IF;
       IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
       RETURN NEW;
     END
     $fn$`,
    false,
  ),
];

/**
 * The layout guard (and change capture) on one co-located table: part of the
 * migration that creates the table, after RESHARD_OBJECTS.
 */
export function layoutGuardOn(t: ColocatedTable): Statement {
  return statement(
    `guard_${t.table}`,
    'DDL',
    `CREATE OR REPLACE TRIGGER shardgate_layout_guard BEFORE INSERT OR UPDATE OR DELETE ON ${t.table}
     FOR EACH ROW EXECUTE FUNCTION shardgate_layout_guard('${t.ownerColumn}')`,
    false,
  );
}
