import { emailLookupKey, emailMatches } from '../sharding/email-lookup-key.js';
import { ReadPolicy } from '../sharding/read-policy.js';
import type { Database } from './database.js';
import type { EmailLookup } from './email-lookup.js';
import {
  BACKFILL_INSERT,
  BACKFILL_SAVE,
  BACKFILL_SCAN,
  BACKFILL_STATE,
  COUNT_USERS_TO_BACKFILL,
  CREATE_UNIQUE_EMAIL_INDEX,
  DUPLICATE_EMAILS,
  OWNERS_EMAILS,
  UNIQUE_EMAIL_INDEX_PRESENT,
} from './email-statements.js';
import { SqlError } from './errors.js';

export interface BackfillProgress {
  /** The shard whose users are read. */
  readonly shardId: number;
  readonly done: number;
  readonly total: number;
  /** This shard had finished in an earlier run. */
  readonly alreadyDone: boolean;
}

/**
 * Fills `user_emails` from the users every shard holds, in batches of
 * `batchSize` users in user_id order. Each shard records its cursor after
 * every batch, so a run that stops (a crash, Ctrl-C) continues where it
 * stopped; a finished shard is not read again. Existing lookup rows stay:
 * a gateway's claim is never older than what the backfill read.
 */
export async function backfillEmails(db: Database, batchSize: number, progress: (p: BackfillProgress) => void): Promise<number> {
  const shards = db.manager.allShards().map((s) => s.id);
  const copied = await Promise.all(
    shards.map(async (shardId) => {
      const { rows: state } = await db.read<{ cursor: string | null; copied: string; done: boolean }>(
        shardId,
        ReadPolicy.PrimaryOnly,
        BACKFILL_STATE,
        [],
      );
      const { rows: count } = await db.read<{ n: string }>(shardId, ReadPolicy.PrimaryOnly, COUNT_USERS_TO_BACKFILL, []);
      const total = Number(count[0]!.n);
      if (state[0]?.done) {
        progress({ shardId, done: Number(state[0].copied), total, alreadyDone: true });
        return 0;
      }
      let cursor = state[0]?.cursor ?? null;
      let done = Number(state[0]?.copied ?? 0);
      let added = 0;
      for (;;) {
        const { rows } = await db.read<{ user_id: string; email: string; email_claim: string | null }>(
          shardId,
          ReadPolicy.PrimaryOnly,
          BACKFILL_SCAN,
          [cursor, batchSize],
        );
        if (rows.length === 0) break;
        const byLookupShard = new Map<number, { keys: string[]; ids: string[]; claims: (string | null)[] }>();
        for (const row of rows) {
          const key = emailLookupKey(row.email);
          const target = db.manager.shardIdOf(key);
          let batch = byLookupShard.get(target);
          if (!batch) byLookupShard.set(target, (batch = { keys: [], ids: [], claims: [] }));
          batch.keys.push(key);
          batch.ids.push(row.user_id);
          batch.claims.push(row.email_claim);
        }
        const inserted = await Promise.all(
          [...byLookupShard].map(([target, b]) => db.write(target, BACKFILL_INSERT, [b.keys, b.ids, b.claims])),
        );
        added += inserted.reduce((a, r) => a + r.rowCount, 0);
        cursor = rows[rows.length - 1]!.user_id;
        done += rows.length;
        await db.write(shardId, BACKFILL_SAVE, [cursor, done, false]);
        progress({ shardId, done, total, alreadyDone: false });
      }
      await db.write(shardId, BACKFILL_SAVE, [cursor, done, true]);
      progress({ shardId, done, total, alreadyDone: false });
      return added;
    }),
  );
  return copied.reduce((a, b) => a + b, 0);
}

export interface DuplicateEmail {
  readonly email: string;
  readonly userIds: readonly string[];
}

const DUPLICATES_PER_SHARD = 1000;

/**
 * The emails that more than one user holds now (each owner's row read on its
 * primary). Lookup rows whose owner does not hold the email are repaired on
 * the way (fenced, then deleted), so that they block nothing.
 */
export async function findDuplicateEmails(db: Database, emails: EmailLookup): Promise<DuplicateEmail[]> {
  const found = await Promise.all(
    db.manager.allShards().map(async ({ id: shardId }) => {
      const { rows } = await db.read<{ email_lower: string; user_ids: string[]; claim_ids: (string | null)[] }>(
        shardId,
        ReadPolicy.PrimaryOnly,
        DUPLICATE_EMAILS,
        [DUPLICATES_PER_SHARD],
      );
      const duplicates: DuplicateEmail[] = [];
      for (const row of rows) {
        const holders = await ownersHolding(db, row.email_lower, row.user_ids);
        for (const [i, userId] of row.user_ids.entries()) {
          if (!holders.includes(userId)) await emails.repair(row.email_lower, { userId, claimId: row.claim_ids[i] ?? null, settled: true });
        }
        if (holders.length > 1) duplicates.push({ email: row.email_lower, userIds: holders });
      }
      return duplicates;
    }),
  );
  return found.flat().sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
}

async function ownersHolding(db: Database, key: string, userIds: readonly string[]): Promise<string[]> {
  const byShard = new Map<number, string[]>();
  for (const id of userIds) {
    const shardId = db.manager.shardIdOf(id);
    byShard.set(shardId, [...(byShard.get(shardId) ?? []), id]);
  }
  const rows = await Promise.all(
    [...byShard].map(([shardId, ids]) =>
      db.read<{ user_id: string; email: string }>(shardId, ReadPolicy.PrimaryOnly, OWNERS_EMAILS, [ids]),
    ),
  );
  return rows
    .flatMap((r) => r.rows)
    .filter((r) => emailMatches(r.email, key))
    .map((r) => r.user_id)
    .sort();
}

const UNIQUE_VIOLATION = '23505';

/**
 * Makes emails unique on every lookup shard (a unique index on email_lower).
 * Returns the shards where a duplicate appeared since the check (the index
 * was not created there).
 */
export async function enforceUniqueEmails(db: Database): Promise<{ created: number[]; refused: number[] }> {
  const created: number[] = [];
  const refused: number[] = [];
  await Promise.all(
    db.manager.allShards().map(async ({ id: shardId }) => {
      const { rows } = await db.read<{ present: boolean }>(shardId, ReadPolicy.PrimaryOnly, UNIQUE_EMAIL_INDEX_PRESENT, []);
      if (rows[0]?.present) return;
      try {
        await db.write(shardId, CREATE_UNIQUE_EMAIL_INDEX, []);
        created.push(shardId);
      } catch (err) {
        if (err instanceof SqlError && err.sqlState === UNIQUE_VIOLATION) refused.push(shardId);
        else throw err;
      }
    }),
  );
  return { created: created.sort((a, b) => a - b), refused: refused.sort((a, b) => a - b) };
}

/** Whether every lookup shard has the unique index. */
export async function uniqueEmailsEnforced(db: Database): Promise<boolean> {
  const present = await Promise.all(
    db.manager
      .allShards()
      .map(({ id }) =>
        db.read<{ present: boolean }>(id, ReadPolicy.PrimaryOnly, UNIQUE_EMAIL_INDEX_PRESENT, []).then((r) => r.rows[0]?.present === true),
      ),
  );
  return present.every(Boolean);
}
