import type { ColocatedTable } from './colocated-tables.js';
import type { Database, Rows, Transaction } from './database.js';
import type { Statement } from './statement.js';
import { migrateShard } from './migrations.js';
import {
  DELETE_EMAIL_CLAIMS_OF_USERS,
  EMAIL_CLAIM_DIGESTS,
  INSERT_EMAIL_CLAIMS,
  SCAN_EMAIL_CLAIM_USER_IDS,
  SELECT_EMAIL_CLAIMS_OF_USERS,
} from './email-statements.js';
import {
  CLEAR_CHANGES,
  colocatedTableStatements,
  COUNT_CHANGES,
  COUNT_USERS,
  DELETE_CHANGES,
  DELETE_OTHER_JOBS,
  DELETE_USERS,
  INIT_GUARD,
  INSERT_LAYOUT,
  LOCK_TIMEOUT,
  NAME_SESSION,
  OBJECTS_EXIST,
  QUEUE_CHANGES,
  RUN_LOCK_HOLDER,
  SAVE_COPY_PROGRESS,
  SCAN_USER_IDS,
  SCAN_USERS,
  SELECT_CHANGES,
  SELECT_JOBS,
  SELECT_LATEST_LAYOUT,
  SELECT_USERS_BY_IDS,
  SET_CAPTURE,
  SET_GUARD,
  TAKE_LAYOUT_LOCK,
  TRY_RUN_LOCK,
  UPSERT_JOB,
  UPSERT_USERS,
  USER_DIGESTS,
  GUARDED_TABLES,
} from './reshard-statements.js';
import type { Timestamp } from './timestamp.js';

/** What the layout guard of one database lets gateways write. */
export type GuardState =
  | { readonly state: 'open' }
  | { readonly state: 'active'; readonly shardCount: number; readonly shardId: number }
  | { readonly state: 'paused' }
  | { readonly state: 'retired' };

export interface UserRow {
  readonly userId: string;
  readonly name: string;
  readonly email: string;
  readonly createdAt: Timestamp;
  /** The claim the email was written under (see docs/email-lookup.md); null for rows older than the lookup. */
  readonly emailClaim: string | null;
}

/** A user's email claim marker as the tool copies it: every column, as stored. */
export interface EmailClaimRow {
  readonly claimId: string;
  readonly userId: string;
  readonly state: string;
  readonly createdAt: Timestamp;
}

/** A row of a module's co-located table, as its JSON text (see colocatedTableStatements). */
export interface OwnedRow {
  readonly table: string;
  readonly userId: string;
  readonly doc: string;
}

/** The co-located tables modules add, and their migrations (the gateway's are the store's own). */
export interface ModuleTables {
  readonly tables: readonly ColocatedTable[];
  /** Applies the modules' migrations on one database (after the gateway's). */
  migrate(db: Database, shardId: number): Promise<unknown>;
}

export interface JobRow {
  readonly jobId: string;
  readonly phase: string;
  readonly toEpoch: number;
  readonly copyCursor: string | null;
  readonly copyDone: boolean;
  readonly copied: number;
}

export interface RunLock {
  /** Settles when the lock is no longer held: null once released, else why it was lost (the connection broke). */
  readonly lost: Promise<unknown>;
  release(): Promise<void>;
}

export interface RunLockHolder {
  /** The holder's application_name. */
  readonly name: string;
  /** When it took the lock (UTC, ISO 8601). */
  readonly since: string;
}

export interface RecordedLayoutRow {
  readonly epoch: number;
  readonly topology: unknown;
}

interface RawUser {
  user_id: string;
  name: string;
  email: string;
  created_at: Timestamp;
  email_claim: string | null;
}

/**
 * The statements `shardgate reshard` runs on one database (the primary of a
 * shard of the old or the new layout), through the door, on the shard's
 * primary: one statement, or one transaction. The Database must connect
 * with application_name RESHARD_APPLICATION_NAME, so that the layout guard
 * lets the tool through and the change capture ignores it.
 */
export class ReshardStore {
  private readonly tables: readonly (ColocatedTable & { stmts: ReturnType<typeof colocatedTableStatements> })[];

  constructor(
    private readonly db: Database,
    private readonly shardId: number,
    /** Modules' tables (the built-in modules' included: orders), moved with their owners. @default none */
    private readonly modules: ModuleTables = { tables: [], migrate: async () => {} },
  ) {
    this.tables = modules.tables.map((t) => ({ ...t, stmts: colocatedTableStatements(t) }));
  }

  /**
   * Tables of this database that carry the layout guard (rows owned by a
   * user) but that neither the gateway's own schema nor a module given to
   * this store declares: rows a reshard would not move, and would lose with
   * their owner at cleanup.
   */
  async undeclaredGuardedTables(): Promise<string[]> {
    const own = new Set(['users', 'user_emails', 'user_email_claims', ...this.tables.map((t) => t.table)]);
    const { rows } = await this.one<{ table_name: string }>(GUARDED_TABLES, []);
    return rows.map((r) => r.table_name).filter((t) => !own.has(t));
  }

  /** The modules' co-located tables, in the order they are copied and verified. */
  get moduleTables(): readonly ColocatedTable[] {
    return this.tables;
  }

  /** Whether the reshard objects exist yet (read-only: for a dry run and for resuming). */
  async objectsExist(): Promise<{ job: boolean; layout: boolean; changes: boolean }> {
    return (await this.one<{ job: boolean; layout: boolean; changes: boolean }>(OBJECTS_EXIST, [])).rows[0]!;
  }

  /** The gateway's migrations: the users table, and the layout, guard, job and change tables. */
  async migrate(): Promise<void> {
    await migrateShard(this.db, this.shardId);
    await this.modules.migrate(this.db, this.shardId);
  }

  /** From now on gateway writes here are captured for the catch-up (the guard must be set first: it holds the flag). */
  async startCapture(): Promise<void> {
    await this.one(SET_CAPTURE, [true]);
  }

  /** No more capture, and the captured changes go (no DDL: nothing locks the co-located tables). */
  async stopCapture(): Promise<void> {
    await this.tx(async (tx) => {
      await tx.execute(SET_CAPTURE, [false]);
      await tx.execute(CLEAR_CHANGES, []);
    });
  }

  /**
   * Takes the run lock of this database, on a connection held (in an open
   * transaction that writes nothing, so it holds back no vacuum) until
   * `release` is called or the session ends: a run that dies releases it
   * with its connection. The session is named `holderName` meanwhile, which
   * is how a refused run names the holder. Null when another session holds it.
   */
  async tryRunLock(holderName: string): Promise<RunLock | null> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let answer!: (locked: boolean) => void;
    const taken = new Promise<boolean>((resolve) => (answer = resolve));
    const held = this.tx(async (tx) => {
      await tx.execute(NAME_SESSION, [holderName]);
      const { rows } = await tx.execute<{ locked: boolean }>(TRY_RUN_LOCK, []);
      answer(rows[0]!.locked);
      if (rows[0]!.locked) await released;
    });
    if (!(await Promise.race([taken, held.then(() => false)]))) {
      await held;
      return null;
    }
    return {
      lost: held.then(
        () => null,
        (err: unknown) => err,
      ),
      release: async () => {
        release();
        await held.catch(() => {});
      },
    };
  }

  /** The session holding the run lock here, if any. */
  async runLockHolder(): Promise<RunLockHolder | null> {
    return (await this.one<{ name: string; since: string }>(RUN_LOCK_HOLDER, [])).rows[0] ?? null;
  }

  async jobs(): Promise<JobRow[]> {
    {
      const { rows } = await this.one<{
        job_id: string;
        phase: string;
        to_epoch: number;
        copy_cursor: string | null;
        copy_done: boolean;
        copied: string;
      }>(SELECT_JOBS, []);
      return rows.map((r) => ({
        jobId: r.job_id,
        phase: r.phase,
        toEpoch: r.to_epoch,
        copyCursor: r.copy_cursor,
        copyDone: r.copy_done,
        copied: Number(r.copied),
      }));
    }
  }

  /** Records the job's phase here; a finished job of another layout change is forgotten. */
  async saveJob(jobId: string, phase: string, toEpoch: number): Promise<void> {
    await this.tx(async (tx) => {
      await tx.execute(DELETE_OTHER_JOBS, [jobId]);
      await tx.execute(UPSERT_JOB, [jobId, phase, toEpoch]);
    });
  }

  async saveCopyProgress(jobId: string, cursor: string | null, copied: number, done: boolean): Promise<void> {
    await this.one(SAVE_COPY_PROGRESS, [jobId, cursor, copied, done]);
  }

  async latestLayout(): Promise<RecordedLayoutRow | null> {
    const { rows } = await this.one<{ epoch: number; topology: unknown }>(SELECT_LATEST_LAYOUT, []);
    return rows[0] ? { epoch: rows[0].epoch, topology: rows[0].topology } : null;
  }

  /** Sets the guard only if this database has none yet. */
  async initGuard(guard: GuardState): Promise<void> {
    await this.one(INIT_GUARD, guardParams(guard));
  }

  /** Sets the guard now, without waiting for writes in flight (nothing may be writing under the old value's promise). */
  async setGuard(guard: GuardState): Promise<void> {
    await this.one(SET_GUARD, guardParams(guard));
  }

  /**
   * Pauses gateway writes: waits (up to `lockTimeoutMs`) for every guarded
   * write in flight to commit, then sets the guard to `paused` so that the
   * next ones are refused. Afterwards no write can still be on its way.
   */
  async pauseWrites(lockTimeoutMs: number): Promise<void> {
    await this.tx(async (tx) => {
      await tx.execute(LOCK_TIMEOUT, [`${lockTimeoutMs}ms`]);
      await tx.execute(TAKE_LAYOUT_LOCK, []);
      await tx.execute(SET_GUARD, guardParams({ state: 'paused' }));
    });
  }

  /**
   * The switch of this database, in one transaction: its guard takes the new
   * layout and the layout is recorded (what gateways adopt). Light on
   * purpose: dropping the change capture would lock `users` against reads,
   * so that waits for the cleanup.
   */
  async recordLayout(epoch: number, topology: unknown, guard: GuardState): Promise<void> {
    await this.tx(async (tx) => {
      await tx.execute(SET_GUARD, guardParams(guard));
      await tx.execute(INSERT_LAYOUT, [epoch, JSON.stringify(topology)]);
    });
  }

  /** Up to `limit` users after `cursor`, in user_id order. */
  async scanUsers(cursor: string | null, limit: number): Promise<UserRow[]> {
    return (await this.one<RawUser>(SCAN_USERS, [cursor, limit])).rows.map(toUserRow);
  }

  async scanUserIds(cursor: string | null, limit: number): Promise<string[]> {
    return (await this.one<{ user_id: string }>(SCAN_USER_IDS, [cursor, limit])).rows.map((r) => r.user_id);
  }

  async usersByIds(userIds: readonly string[]): Promise<UserRow[]> {
    if (userIds.length === 0) return [];
    return (await this.one<RawUser>(SELECT_USERS_BY_IDS, [userIds])).rows.map(toUserRow);
  }

  /**
   * Inserts or overwrites `rows` (and deletes `deleteIds`) in one
   * transaction, with the group: the email claim markers of every user
   * named (those of a deleted user too), and their rows in every module
   * table (the built-in ones' too: orders), each replaced whole by the source's.
   */
  async applyUsers(
    rows: readonly UserRow[],
    deleteIds: readonly string[] = [],
    claims: readonly EmailClaimRow[] = [],
    owned: readonly OwnedRow[] = [],
  ): Promise<void> {
    if (rows.length === 0 && deleteIds.length === 0) return;
    await this.tx(async (tx) => {
      await tx.execute(DELETE_EMAIL_CLAIMS_OF_USERS, [[...rows.map((r) => r.userId), ...deleteIds]]);
      if (claims.length > 0) {
        await tx.execute(INSERT_EMAIL_CLAIMS, [
          claims.map((c) => c.claimId),
          claims.map((c) => c.userId),
          claims.map((c) => c.state),
          claims.map((c) => c.createdAt),
        ]);
      }
      if (rows.length > 0) {
        await tx.execute(UPSERT_USERS, [
          rows.map((r) => r.userId),
          rows.map((r) => r.name),
          rows.map((r) => r.email),
          rows.map((r) => r.createdAt),
          rows.map((r) => r.emailClaim),
        ]);
        // Each module table: the group's rows replaced whole by the source's (a row deleted there goes here too).
        for (const t of this.tables) {
          await tx.execute(t.stmts.deleteOfUsers, [rows.map((r) => r.userId)]);
          const docs = owned.filter((o) => o.table === t.table).map((o) => o.doc);
          if (docs.length > 0) await tx.execute(t.stmts.insert, [`[${docs.join(',')}]`]);
        }
      }
      if (deleteIds.length > 0) {
        // A module's table may have no ON DELETE CASCADE: its rows go first.
        for (const t of this.tables) await tx.execute(t.stmts.deleteOfUsers, [deleteIds]);
        await tx.execute(DELETE_USERS, [deleteIds]);
      }
    });
  }

  /** Deletes users, their rows in every module table and their email claim markers, in one transaction. */
  async deleteUsers(userIds: readonly string[]): Promise<number> {
    if (userIds.length === 0) return 0;
    return this.tx(async (tx) => {
      await tx.execute(DELETE_EMAIL_CLAIMS_OF_USERS, [userIds]);
      // A module's table may have no ON DELETE CASCADE: its rows go first.
      for (const t of this.tables) await tx.execute(t.stmts.deleteOfUsers, [userIds]);
      return (await tx.execute(DELETE_USERS, [userIds])).rowCount;
    });
  }

  /** The rows `userIds` own in every module table (copied with their owners, as one group). */
  async ownedRowsOfUsers(userIds: readonly string[]): Promise<OwnedRow[]> {
    if (userIds.length === 0 || this.tables.length === 0) return [];
    const out: OwnedRow[] = [];
    for (const t of this.tables) {
      const { rows } = await this.one<{ user_id: string; doc: string }>(t.stmts.rowsOfUsers, [userIds]);
      for (const r of rows) out.push({ table: t.table, userId: r.user_id, doc: r.doc });
    }
    return out;
  }

  /** Per user with rows in module table `table`: a digest of them and how many. */
  async ownedDigests(table: string): Promise<{ userId: string; digest: string; rows: number }[]> {
    const t = this.tables.find((x) => x.table === table);
    if (!t) throw new Error(`no co-located table ${table}`);
    return (await this.one<{ user_id: string; digest: string; n: string }>(t.stmts.digests, [])).rows.map((r) => ({
      userId: r.user_id,
      digest: r.digest,
      rows: Number(r.n),
    }));
  }

  /** Deletes the email claim markers of `userIds` (markers whose user is gone: the cleanup's second scan). */
  async deleteEmailClaims(userIds: readonly string[]): Promise<number> {
    if (userIds.length === 0) return 0;
    return (await this.one(DELETE_EMAIL_CLAIMS_OF_USERS, [userIds])).rowCount;
  }

  /** Up to `limit` user ids that have email claim markers, after `cursor`, in user_id order. */
  async scanEmailClaimUserIds(cursor: string | null, limit: number): Promise<string[]> {
    return (await this.one<{ user_id: string }>(SCAN_EMAIL_CLAIM_USER_IDS, [cursor, limit])).rows.map((r) => r.user_id);
  }

  /** The email claim markers of `userIds` (copied with their users, as one group). */
  async emailClaimsOfUsers(userIds: readonly string[]): Promise<EmailClaimRow[]> {
    if (userIds.length === 0) return [];
    const { rows } = await this.one<{ claim_id: string; user_id: string; state: string; created_at: Timestamp }>(
      SELECT_EMAIL_CLAIMS_OF_USERS,
      [userIds],
    );
    return rows.map((r) => ({ claimId: r.claim_id, userId: r.user_id, state: r.state, createdAt: r.created_at }));
  }

  /** Per user: a digest of its email claim and markers, and how many markers (see EMAIL_CLAIM_DIGESTS). */
  async emailClaimDigests(): Promise<{ userId: string; digest: string; rows: number }[]> {
    return (await this.one<{ user_id: string; digest: string; n: string }>(EMAIL_CLAIM_DIGESTS, [])).rows.map((r) => ({
      userId: r.user_id,
      digest: r.digest,
      rows: Number(r.n),
    }));
  }

  async countUsers(): Promise<number> {
    return Number((await this.one<{ n: string }>(COUNT_USERS, [])).rows[0]!.n);
  }

  /** The oldest captured changes: (seq, user_id). */
  async changes(limit: number): Promise<{ seq: string; userId: string }[]> {
    return (await this.one<{ seq: string; user_id: string }>(SELECT_CHANGES, [limit])).rows.map((r) => ({ seq: r.seq, userId: r.user_id }));
  }

  async forgetChanges(seqs: readonly string[]): Promise<void> {
    if (seqs.length > 0) await this.one(DELETE_CHANGES, [seqs]);
  }

  async backlog(): Promise<number> {
    return Number((await this.one<{ n: string }>(COUNT_CHANGES, [])).rows[0]!.n);
  }

  async queueChanges(userIds: readonly string[]): Promise<void> {
    if (userIds.length > 0) await this.one(QUEUE_CHANGES, [userIds]);
  }

  /** Every user's digest (see USER_DIGESTS). */
  async digests(): Promise<{ userId: string; digest: string }[]> {
    return (await this.one<{ user_id: string; digest: string }>(USER_DIGESTS, [])).rows.map((r) => ({
      userId: r.user_id,
      digest: r.digest,
    }));
  }

  private tx<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(this.shardId, work);
  }

  /** One statement on the primary, in its own implicit transaction. */
  private one<R extends object>(stmt: Statement, params: readonly unknown[]): Promise<Rows<R>> {
    return this.db.write<R>(this.shardId, stmt, params);
  }
}

function guardParams(guard: GuardState): [string, number | null, number | null] {
  return guard.state === 'active' ? [guard.state, guard.shardCount, guard.shardId] : [guard.state, null, null];
}

function toUserRow(r: RawUser): UserRow {
  return { userId: r.user_id, name: r.name, email: r.email, createdAt: r.created_at, emailClaim: r.email_claim };
}
