import type { ColocatedTable } from './colocated-tables.js';
import { statement } from './statement.js';

/*
 * Every statement of the email lookup (docs/email-lookup.md). Parameterised only.
 *
 * - `user_emails`, on the shard of fnv1a32(email_lower): which users claimed
 *   an email. A row is a hint, the owner's users row is the truth. `claim_id`
 *   names the write that made the claim (null for rows built from existing
 *   users), `expires_at` is when that write's request ran out of time: a row
 *   whose owner does not hold the email is stale only after it.
 * - `user_email_claims`, on the owner's shard (beside users): the claim ids
 *   that were `applied` by a users write, or `fenced` by a repair. Both
 *   insert the same key, so of a late write and a repair exactly one wins,
 *   whatever the order in which they arrive.
 * - `users.email_claim`: the claim under which the row's email was written,
 *   so that the clean-up of an old email removes only that claim.
 */

/** The lookup, placed by its email (the guard hashes `email_lower` as it hashes a user id). */
export const USER_EMAILS_TABLE: ColocatedTable = { table: 'user_emails', ownerColumn: 'email_lower' };
/** The claims' fate, beside their user. */
export const USER_EMAIL_CLAIMS_TABLE: ColocatedTable = { table: 'user_email_claims', ownerColumn: 'user_id' };

const LEASE = "now() + $4::int * interval '1 millisecond'";

export const EMAIL_LOOKUP_SCHEMA = [
  statement('m4_users_email_claim', 'DDL', 'ALTER TABLE users ADD COLUMN IF NOT EXISTS email_claim VARCHAR(64)', false),
  statement(
    'm4_user_emails',
    'DDL',
    `CREATE TABLE IF NOT EXISTS user_emails (
       email_lower TEXT NOT NULL,
       user_id     VARCHAR(255) NOT NULL,
       claim_id    VARCHAR(64),
       created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
       expires_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
       PRIMARY KEY (email_lower, user_id)
     )`,
    false,
  ),
  statement(
    'm4_user_email_claims',
    'DDL',
    `CREATE TABLE IF NOT EXISTS user_email_claims (
       claim_id   VARCHAR(64) PRIMARY KEY,
       user_id    VARCHAR(255) NOT NULL,
       state      VARCHAR(8) NOT NULL CHECK (state IN ('applied', 'fenced')),
       created_at TIMESTAMPTZ NOT NULL DEFAULT now()
     )`,
    false,
  ),
  statement(
    'm4_ix_user_email_claims_user',
    'DDL',
    'CREATE INDEX IF NOT EXISTS ix_user_email_claims_user_id ON user_email_claims (user_id)',
    false,
  ),
  statement(
    'm4_email_backfill',
    'DDL',
    `CREATE TABLE IF NOT EXISTS shardgate_email_backfill (
       only_row   BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row),
       cursor     VARCHAR(255),
       copied     BIGINT NOT NULL DEFAULT 0,
       done       BOOLEAN NOT NULL DEFAULT false,
       updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
     )`,
    false,
  ),
];

/** The index that makes emails unique, created by `shardgate migrate` when unique emails are on. */
export const UNIQUE_EMAIL_INDEX = 'ux_user_emails_email';

export const CREATE_UNIQUE_EMAIL_INDEX = statement(
  'emails_unique_index',
  'DDL',
  `CREATE UNIQUE INDEX IF NOT EXISTS ${UNIQUE_EMAIL_INDEX} ON user_emails (email_lower)`,
  false,
);

export const UNIQUE_EMAIL_INDEX_PRESENT = statement(
  'emails_unique_index_present',
  'SELECT',
  `SELECT to_regclass('${UNIQUE_EMAIL_INDEX}') IS NOT NULL AS present`,
  false,
);

/** Emails many users may share: the claim adds this user's row, or renews its claim. */
export const CLAIM_EMAIL = statement(
  'emails_claim',
  'INSERT',
  `INSERT INTO user_emails (email_lower, user_id, claim_id, expires_at) VALUES ($1, $2, $3, ${LEASE})
   ON CONFLICT (email_lower, user_id) DO UPDATE SET claim_id = EXCLUDED.claim_id, expires_at = EXCLUDED.expires_at`,
);

/**
 * Unique emails: inserts the claim, renews this user's own, or leaves
 * another user's as it is; in every case it returns the row as it is now
 * (the conflicting row is locked and read at its latest version, never at
 * the statement's snapshot), so one round trip tells who holds the email.
 */
export const CLAIM_UNIQUE_EMAIL = statement(
  'emails_claim_unique',
  'INSERT',
  `INSERT INTO user_emails AS e (email_lower, user_id, claim_id, expires_at) VALUES ($1, $2, $3, ${LEASE})
   ON CONFLICT (email_lower) DO UPDATE SET
     claim_id = CASE WHEN e.user_id = EXCLUDED.user_id THEN EXCLUDED.claim_id ELSE e.claim_id END,
     expires_at = CASE WHEN e.user_id = EXCLUDED.user_id THEN EXCLUDED.expires_at ELSE e.expires_at END
   RETURNING user_id, claim_id, expires_at <= now() AS expired`,
);

/** Bulk claims (seeding): an email already claimed by someone (unique emails) or by this user is left as it is. */
export const CLAIM_EMAILS_BULK = statement(
  'emails_claim_bulk',
  'INSERT',
  `INSERT INTO user_emails (email_lower, user_id, claim_id, expires_at)
   SELECT k, u, c, ${LEASE} FROM unnest($1::text[], $2::varchar[], $3::varchar[]) AS t(k, u, c)
   ON CONFLICT DO NOTHING`,
  false,
);

/** A stale claim passes to another user, only if it is still exactly the claim that was found stale. */
export const TAKE_OVER_EMAIL = statement(
  'emails_take_over',
  'UPDATE',
  `UPDATE user_emails SET user_id = $5, claim_id = $3, created_at = now(), expires_at = ${LEASE}
   WHERE email_lower = $1 AND user_id = $2 AND claim_id IS NOT DISTINCT FROM $6`,
);

/** Removes one claim, only if it is still the one named (a newer claim of the same user stays). */
export const RELEASE_EMAIL = statement(
  'emails_release',
  'DELETE',
  'DELETE FROM user_emails WHERE email_lower = $1 AND user_id = $2 AND claim_id IS NOT DISTINCT FROM $3',
);

/**
 * The claims of an email, each with its owner's row when that row is on this
 * shard too (the caller decides whether the owner lives here): an owner beside
 * its lookup row costs no second statement.
 */
export const FIND_EMAIL = statement(
  'emails_find',
  'SELECT',
  `SELECT e.user_id, e.claim_id, e.expires_at <= now() AS settled,
          u.user_id IS NOT NULL AS owner_here, u.name AS owner_name, u.email AS owner_email, u.created_at AS owner_created_at
   FROM user_emails e LEFT JOIN users u ON u.user_id = e.user_id
   WHERE e.email_lower = $1`,
);

/** On the owner's shard: from now on, a users write carrying this claim id does nothing. */
export const FENCE_CLAIM = statement(
  'emails_fence',
  'INSERT',
  "INSERT INTO user_email_claims (claim_id, user_id, state) VALUES ($1, $2, 'fenced') ON CONFLICT (claim_id) DO NOTHING",
);

/** On the owner's shard, after a fence (a fresh snapshot: a write that won the race is visible). */
export const OWNER_EMAIL = statement('emails_owner', 'SELECT', 'SELECT email FROM users WHERE user_id = $1');

/**
 * On the owner's shard: what became of a claim's users write (`applied`,
 * `fenced`, or null: it has not landed) and the owner's email, in one
 * snapshot. An applied marker commits with its users write, so both answers
 * describe the same moment.
 */
export const CLAIM_STATUS = statement(
  'emails_claim_status',
  'SELECT',
  `SELECT (SELECT state FROM user_email_claims WHERE claim_id = $1) AS state,
          (SELECT email FROM users WHERE user_id = $2) AS email`,
);

const USER_COLUMNS = 'user_id, name, email, created_at';

/** A new user, written only if its email claim was not fenced meanwhile (then no row is returned). */
export const INSERT_USER_CLAIMED = statement(
  'users_insert_claimed',
  'INSERT',
  `WITH claim AS (
     INSERT INTO user_email_claims (claim_id, user_id, state) VALUES ($4, $1, 'applied')
     ON CONFLICT (claim_id) DO NOTHING RETURNING claim_id
   )
   INSERT INTO users (user_id, name, email, email_claim) SELECT $1, $2, $3, claim_id FROM claim
   RETURNING ${USER_COLUMNS}`,
);

/**
 * A new email (and maybe name), written only if the email's claim was not
 * fenced; returns the row, the email and claim it replaced, and whether the
 * user was found and the claim applied. The user's older `applied` markers
 * go, but the one of the email being replaced: until its lookup row is
 * released, it tells a claimant that row is stale without waiting for its lease.
 */
export const UPDATE_USER_CLAIMED = statement(
  'users_update_claimed',
  'UPDATE',
  `WITH claim AS (
     INSERT INTO user_email_claims (claim_id, user_id, state) VALUES ($4, $1, 'applied')
     ON CONFLICT (claim_id) DO NOTHING RETURNING claim_id
   ),
   old AS (SELECT email, email_claim FROM users WHERE user_id = $1 FOR UPDATE),
   changed AS (
     UPDATE users u SET name = COALESCE($2, u.name), email = $3, email_claim = claim.claim_id
     FROM claim, old WHERE u.user_id = $1
     RETURNING u.user_id, u.name, u.email, u.created_at
   ),
   forgotten AS (
     DELETE FROM user_email_claims
     WHERE user_id = $1 AND state = 'applied' AND claim_id <> $4 AND claim_id IS DISTINCT FROM (SELECT email_claim FROM old)
       AND EXISTS (SELECT 1 FROM changed)
   )
   SELECT c.user_id, c.name, c.email, c.created_at, o.email AS old_email, o.email_claim AS old_claim,
          EXISTS (SELECT 1 FROM claim) AS claimed, EXISTS (SELECT 1 FROM old) AS found
   FROM (SELECT 1) AS one LEFT JOIN changed c ON true LEFT JOIN old o ON true`,
);

/** Deletes a user; returns the email and claim it held, so that its lookup row can go too (its applied marker stays, as above). */
export const DELETE_USER_CLAIMED = statement(
  'users_delete_claimed',
  'DELETE',
  `WITH gone AS (DELETE FROM users WHERE user_id = $1 RETURNING email, email_claim),
   forgotten AS (
     DELETE FROM user_email_claims
     WHERE user_id = $1 AND state = 'applied' AND claim_id IS DISTINCT FROM (SELECT email_claim FROM gone) AND EXISTS (SELECT 1 FROM gone)
   )
   SELECT email, email_claim FROM gone`,
);

// Backfill (`shardgate migrate`): every shard's users, in user_id order, into the lookup shards.

export const BACKFILL_STATE = statement(
  'emails_backfill_state',
  'SELECT',
  'SELECT cursor, copied, done FROM shardgate_email_backfill',
  false,
);

export const BACKFILL_SAVE = statement(
  'emails_backfill_save',
  'INSERT',
  `INSERT INTO shardgate_email_backfill (cursor, copied, done) VALUES ($1, $2, $3)
   ON CONFLICT (only_row) DO UPDATE SET cursor = EXCLUDED.cursor, copied = EXCLUDED.copied, done = EXCLUDED.done, updated_at = now()`,
  false,
);

export const BACKFILL_SCAN = statement(
  'emails_backfill_scan',
  'SELECT',
  'SELECT user_id, email, email_claim FROM users WHERE $1::varchar IS NULL OR user_id > $1::varchar ORDER BY user_id LIMIT $2',
  false,
);

/** Rows that exist stay as they are: a gateway's claim is newer than the backfill's view. */
export const BACKFILL_INSERT = statement(
  'emails_backfill_insert',
  'INSERT',
  `INSERT INTO user_emails (email_lower, user_id, claim_id)
   SELECT * FROM unnest($1::text[], $2::varchar[], $3::varchar[]) ON CONFLICT DO NOTHING`,
  false,
);

export const COUNT_USERS_TO_BACKFILL = statement('emails_backfill_total', 'SELECT', 'SELECT count(*)::int8 AS n FROM users', false);

/** Emails claimed by more than one user on this lookup shard (stale claims included: the caller checks the owners). */
export const DUPLICATE_EMAILS = statement(
  'emails_duplicates',
  'SELECT',
  `SELECT email_lower, array_agg(user_id ORDER BY user_id) AS user_ids, array_agg(claim_id ORDER BY user_id) AS claim_ids
   FROM user_emails GROUP BY email_lower HAVING count(*) > 1 ORDER BY email_lower LIMIT $1`,
  false,
);

export const OWNERS_EMAILS = statement(
  'emails_owners',
  'SELECT',
  'SELECT user_id, email FROM users WHERE user_id = ANY($1::varchar[])',
  false,
);

// Resharding (`shardgate reshard`): lookup rows move by their own hash, like users by theirs.

const LOOKUP_COLUMNS = 'email_lower, user_id, claim_id, created_at, expires_at';

/** One batch of a database's lookup rows in (email_lower, user_id) order, after a cursor (nulls: from the start). */
export const SCAN_LOOKUP = statement(
  'emails_reshard_scan',
  'SELECT',
  `SELECT ${LOOKUP_COLUMNS} FROM user_emails
   WHERE $1::text IS NULL OR (email_lower, user_id) > ($1::text, $2::varchar)
   ORDER BY email_lower, user_id LIMIT $3`,
  false,
);

export const SELECT_LOOKUP_ROWS = statement(
  'emails_reshard_rows',
  'SELECT',
  `SELECT ${LOOKUP_COLUMNS} FROM user_emails
   WHERE (email_lower, user_id) IN (SELECT * FROM unnest($1::text[], $2::varchar[]))`,
  false,
);

/** Rows as they are on the old shard; a row for the same email and user is replaced. */
export const UPSERT_LOOKUP = statement(
  'emails_reshard_upsert',
  'INSERT',
  `INSERT INTO user_emails (${LOOKUP_COLUMNS})
   SELECT * FROM unnest($1::text[], $2::varchar[], $3::varchar[], $4::timestamptz[], $5::timestamptz[])
   ON CONFLICT (email_lower, user_id) DO UPDATE
     SET claim_id = EXCLUDED.claim_id, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at`,
  false,
);

export const DELETE_LOOKUP = statement(
  'emails_reshard_delete',
  'DELETE',
  'DELETE FROM user_emails WHERE (email_lower, user_id) IN (SELECT * FROM unnest($1::text[], $2::varchar[]))',
  false,
);

export const COUNT_LOOKUP = statement('emails_reshard_count', 'SELECT', 'SELECT count(*)::int8 AS n FROM user_emails', false);

/** A digest per lookup row over every column, each field length-prefixed (see the users' digests). */
export const LOOKUP_DIGESTS = statement(
  'emails_reshard_digests',
  'SELECT',
  `SELECT email_lower, user_id,
          md5(length(email_lower) || ':' || email_lower || length(user_id) || ':' || user_id || ':'
              || coalesce(length(claim_id) || ':' || claim_id, '-')
              || (extract(epoch FROM created_at) * 1000000)::int8::text || ':'
              || (extract(epoch FROM expires_at) * 1000000)::int8::text) AS digest
   FROM user_emails`,
  false,
);

// Resharding: a user's claim markers move with the user (its group), like its orders.

const CLAIM_COLUMNS = 'claim_id, user_id, state, created_at';

/** The claim markers of a batch of users: copied with them, as one group. */
export const SELECT_EMAIL_CLAIMS_OF_USERS = statement(
  'reshard_email_claims_of_users',
  'SELECT',
  `SELECT ${CLAIM_COLUMNS} FROM user_email_claims WHERE user_id = ANY($1::varchar[])`,
  false,
);

/** A group's markers are replaced whole on the target: deleted, then inserted as the source has them. */
export const DELETE_EMAIL_CLAIMS_OF_USERS = statement(
  'reshard_email_claims_delete',
  'DELETE',
  'DELETE FROM user_email_claims WHERE user_id = ANY($1::varchar[])',
  false,
);

export const INSERT_EMAIL_CLAIMS = statement(
  'reshard_email_claims_insert',
  'INSERT',
  `INSERT INTO user_email_claims (${CLAIM_COLUMNS})
   SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::timestamptz[])`,
  false,
);

/**
 * A digest per user over the claim its row's email was written under
 * (`users.email_claim`) and its markers (claim_id, state, created_at to the
 * microsecond, in claim_id byte order), and how many markers it has.
 * Markers of users that no longer exist are not covered (they are not moved).
 */
export const EMAIL_CLAIM_DIGESTS = statement(
  'reshard_email_claim_digests',
  'SELECT',
  `SELECT u.user_id, count(c.claim_id)::int8 AS n,
          md5(coalesce(length(u.email_claim) || ':' || u.email_claim, '-') || '|' ||
              coalesce(string_agg(length(c.claim_id) || ':' || c.claim_id || ':' || c.state || ':'
                                  || (extract(epoch FROM c.created_at) * 1000000)::int8::text, '|'
                                  ORDER BY c.claim_id COLLATE "C"), '')) AS digest
   FROM users u LEFT JOIN user_email_claims c ON c.user_id = u.user_id
   GROUP BY u.user_id, u.email_claim`,
  false,
);

/** One batch of the user ids that have markers, in user_id order, after a cursor (the cleanup's scan: markers of users that no longer exist too). */
export const SCAN_EMAIL_CLAIM_USER_IDS = statement(
  'reshard_email_claim_user_ids',
  'SELECT',
  `SELECT DISTINCT user_id FROM user_email_claims WHERE $1::varchar IS NULL OR user_id > $1::varchar ORDER BY user_id LIMIT $2`,
  false,
);

/**
 * Deletes up to $2 markers older than $1 ms (see pruneEmailClaims). Rows
 * of users this shard does not own under its recorded layout (a reshard's
 * leftovers, which its cleanup removes) are left alone: the layout guard
 * would refuse their deletion and fail the batch.
 */
export const PRUNE_EMAIL_CLAIMS = statement(
  'emails_prune_claims',
  'DELETE',
  `DELETE FROM user_email_claims WHERE ctid = ANY(ARRAY(
     SELECT c.ctid FROM user_email_claims c
     WHERE c.created_at < now() - $1::int8 * interval '1 millisecond'
       AND NOT EXISTS (SELECT 1 FROM shardgate_layout_guard g
                       WHERE g.state = 'active' AND shardgate_fnv1a32(c.user_id) % g.shard_count <> g.shard_id)
     LIMIT $2))`,
);
