import { emailLookupKey } from '../sharding/email-lookup-key.js';
import type { ReadPolicy } from '../sharding/read-policy.js';
import type { Database, QueryOptions } from './database.js';
import { EmailLookup } from './email-lookup.js';
import { DELETE_USER_CLAIMED, INSERT_USER_CLAIMED, UPDATE_USER_CLAIMED } from './email-statements.js';
import { ShardTimeoutError, SqlError, UserAlreadyExistsError, UserNotFoundError } from './errors.js';
import { LayoutRetry } from './layout-retry.js';
import type { RequestScope } from './request-scope.js';
import type { Timestamp } from './timestamp.js';
import type { NewUser, SortDirection, SortKey, User, UserPatch } from './user.js';
import { COUNT_USERS, INSERT_USERS_BULK, UPDATE_USER, usersByIdsStatement, usersPageStatement } from './user-statements.js';

interface UserRow {
  user_id: string;
  name: string;
  email: string;
  created_at: Timestamp;
}

const UNIQUE_VIOLATION = '23505';

/**
 * The UserRepository of docs/architecture.md: which shard and which node each operation
 * needs, in one place. Single-user operations route by the shard key; the
 * `...OnShard` operations serve the gateway's per-shard batches and
 * scatter-gather.
 */
export class UserRepository {
  constructor(
    private readonly db: Database,
    /** Sends a write again, routed afresh, when a reshard's layout guard refused it. @default none: such a write fails */
    private readonly layout: LayoutRetry = new LayoutRetry(() => null),
    /** The request every statement of this instance serves (see forRequest). */
    private readonly scope?: RequestScope,
    /** The email lookup every email write keeps right (docs/email-lookup.md). */
    readonly emails: EmailLookup = new EmailLookup(db, { unique: false }, layout),
  ) {}

  /** The same repository, charging every statement to `scope` (one GraphQL request). */
  forRequest(scope: RequestScope): UserRepository {
    return new UserRepository(this.db, this.layout, scope, this.emails.forRequest(scope));
  }

  private options(extra?: QueryOptions): QueryOptions | undefined {
    if (!this.scope) return extra;
    return { ...extra, scope: this.scope };
  }

  shardIdOf(userId: string): number {
    return this.db.manager.shardIdOf(userId);
  }

  /**
   * → the email's lookup shard (the claim), then the user's primary. Throws
   * UserAlreadyExistsError when the userId is taken, EmailAlreadyExistsError
   * when emails are unique and another user holds this one.
   */
  async create(user: NewUser): Promise<User> {
    const key = emailLookupKey(user.email);
    const claimId = await this.emails.claim(key, user.userId, 'input.email');
    // A failure from here on leaves the claim behind: a hint whose owner does not hold the email, repaired later.
    return this.layout.run(
      async () => {
        const shardId = this.shardIdOf(user.userId);
        try {
          const { rows } = await this.db.write<UserRow>(
            shardId,
            INSERT_USER_CLAIMED,
            [user.userId, user.name, user.email, claimId],
            this.options(),
          );
          if (rows.length === 0) throw claimFenced(shardId);
          return toUser(rows[0]!, shardId);
        } catch (err) {
          if (err instanceof SqlError && err.sqlState === UNIQUE_VIOLATION) throw new UserAlreadyExistsError(user.userId);
          throw err;
        }
      },
      () => this.shardIdOf(user.userId),
      this.scope?.deadline,
    );
  }

  /**
   * → primary; a new email is claimed first and the old one released after.
   * Throws UserNotFoundError when there is no such user, EmailAlreadyExistsError
   * when emails are unique and another user holds the new one.
   */
  async update(userId: string, patch: UserPatch): Promise<User> {
    if (patch.email === undefined) {
      return this.layout.run(
        async () => {
          const shardId = this.shardIdOf(userId);
          const { rows } = await this.db.write<UserRow>(shardId, UPDATE_USER, [userId, patch.name ?? null, null], this.options());
          if (rows.length === 0) throw new UserNotFoundError(userId);
          return toUser(rows[0]!, shardId);
        },
        () => this.shardIdOf(userId),
        this.scope?.deadline,
      );
    }
    const email = patch.email;
    const key = emailLookupKey(email);
    const claimId = await this.emails.claim(key, userId, 'input.email');
    const { user, old } = await this.layout.run(
      async () => {
        const shardId = this.shardIdOf(userId);
        const { rows } = await this.db.write<
          UserRow & { old_email: string | null; old_claim: string | null; claimed: boolean; found: boolean }
        >(shardId, UPDATE_USER_CLAIMED, [userId, patch.name ?? null, email, claimId], this.options());
        const row = rows[0]!;
        if (!row.found) return { user: null, old: null };
        if (!row.claimed) throw claimFenced(shardId);
        return { user: toUser(row, shardId), old: { email: row.old_email!, claimId: row.old_claim } };
      },
      () => this.shardIdOf(userId),
      this.scope?.deadline,
    );
    if (!user) {
      await this.emails.release(key, userId, claimId);
      throw new UserNotFoundError(userId);
    }
    const oldKey = emailLookupKey(old!.email);
    if (oldKey !== key) await this.emails.release(oldKey, userId, old!.claimId);
    return user;
  }

  /** → primary, then the email's lookup shard. True when the user existed. */
  async delete(userId: string): Promise<boolean> {
    const gone = await this.layout.run(
      async () => {
        const { rows } = await this.db.write<{ email: string; email_claim: string | null }>(
          this.shardIdOf(userId),
          DELETE_USER_CLAIMED,
          [userId],
          this.options(),
        );
        return rows[0] ?? null;
      },
      () => this.shardIdOf(userId),
      this.scope?.deadline,
    );
    if (!gone) return false;
    await this.emails.release(emailLookupKey(gone.email), userId, gone.email_claim);
    return true;
  }

  /** The users among `userIds` stored on `shardId`, in one statement; order not guaranteed, missing ids absent. */
  async getManyOnShard(shardId: number, userIds: readonly string[], policy: ReadPolicy): Promise<User[]> {
    if (userIds.length === 0) return [];
    const { statement, spread } = usersByIdsStatement(userIds.length);
    const { rows } = await this.db.read<UserRow>(
      shardId,
      policy,
      statement,
      spread ? [...userIds] : [userIds],
      this.options({ batchSize: userIds.length }),
    );
    return rows.map((r) => toUser(r, shardId));
  }

  /** One keyset page of one shard in (createdAt, userId) order, strictly after `after`. */
  async pageOnShard(
    shardId: number,
    page: { after: SortKey | null; direction: SortDirection; limit: number },
    policy: ReadPolicy,
  ): Promise<User[]> {
    const { after, direction, limit } = page;
    const stmt = usersPageStatement(direction, after !== null, limit);
    const result = await this.db.read<UserRow>(
      shardId,
      policy,
      stmt,
      after === null ? [] : [after.createdAt, after.userId],
      this.options(),
    );
    return result.rows.map((r) => toUser(r, shardId));
  }

  /** Bulk insert of users that all live on `shardId` (seeding, benchmarks). Returns how many were new. */
  async insertManyOnShard(shardId: number, users: readonly NewUser[]): Promise<number> {
    for (const u of users) {
      if (this.shardIdOf(u.userId) !== shardId) throw new RangeError(`user ${u.userId} does not live on shard ${shardId}`);
    }
    // The email lookup first, as for one user: claims, then the users rows carrying them.
    const claims = await this.emails.claimMany(users.map((u) => ({ key: emailLookupKey(u.email), userId: u.userId })));
    const { rowCount } = await this.db.write(
      shardId,
      INSERT_USERS_BULK,
      [users.map((u) => u.userId), users.map((u) => u.name), users.map((u) => u.email), claims],
      this.options(),
    );
    return rowCount;
  }

  async countOnShard(shardId: number, policy: ReadPolicy): Promise<number> {
    const { rows } = await this.db.read<{ n: string }>(shardId, policy, COUNT_USERS, [], this.options());
    return Number(rows[0]!.n);
  }
}

/** The email claim was fenced by a repair before the users write arrived: its request had run out of time. */
function claimFenced(shardId: number): ShardTimeoutError {
  return new ShardTimeoutError(shardId, 'the email claim expired before the users write arrived; nothing was written');
}

function toUser(row: UserRow, shardId: number): User {
  return { userId: row.user_id, name: row.name, email: row.email, createdAt: row.created_at, shardId };
}
