import type { ReadPolicy } from '../sharding/read-policy.js';
import type { Database, QueryOptions } from './database.js';
import { SqlError, UserAlreadyExistsError, UserNotFoundError } from './errors.js';
import { LayoutRetry } from './layout-retry.js';
import type { RequestScope } from './request-scope.js';
import type { Timestamp } from './timestamp.js';
import type { NewUser, SortDirection, SortKey, User, UserPatch } from './user.js';
import {
  COUNT_USERS,
  DELETE_USER,
  INSERT_USER,
  INSERT_USERS_BULK,
  UPDATE_USER,
  usersByIdsStatement,
  usersPageStatement,
} from './user-statements.js';

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
  ) {}

  /** The same repository, charging every statement to `scope` (one GraphQL request). */
  forRequest(scope: RequestScope): UserRepository {
    return new UserRepository(this.db, this.layout, scope);
  }

  private options(extra?: QueryOptions): QueryOptions | undefined {
    if (!this.scope) return extra;
    return { ...extra, scope: this.scope };
  }

  shardIdOf(userId: string): number {
    return this.db.manager.shardIdOf(userId);
  }

  /** → primary. Throws UserAlreadyExistsError when the userId is taken. */
  create(user: NewUser): Promise<User> {
    return this.layout.run(
      async () => {
        const shardId = this.shardIdOf(user.userId);
        try {
          const { rows } = await this.db.write<UserRow>(shardId, INSERT_USER, [user.userId, user.name, user.email], this.options());
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

  /** → primary. Throws UserNotFoundError when there is no such user. */
  update(userId: string, patch: UserPatch): Promise<User> {
    return this.layout.run(
      async () => {
        const shardId = this.shardIdOf(userId);
        const { rows } = await this.db.write<UserRow>(
          shardId,
          UPDATE_USER,
          [userId, patch.name ?? null, patch.email ?? null],
          this.options(),
        );
        if (rows.length === 0) throw new UserNotFoundError(userId);
        return toUser(rows[0]!, shardId);
      },
      () => this.shardIdOf(userId),
      this.scope?.deadline,
    );
  }

  /** → primary. True when the user existed. */
  delete(userId: string): Promise<boolean> {
    return this.layout.run(
      async () => {
        const { rowCount } = await this.db.write(this.shardIdOf(userId), DELETE_USER, [userId], this.options());
        return rowCount > 0;
      },
      () => this.shardIdOf(userId),
      this.scope?.deadline,
    );
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
    const { rowCount } = await this.db.write(
      shardId,
      INSERT_USERS_BULK,
      [users.map((u) => u.userId), users.map((u) => u.name), users.map((u) => u.email)],
      this.options(),
    );
    return rowCount;
  }

  async countOnShard(shardId: number, policy: ReadPolicy): Promise<number> {
    const { rows } = await this.db.read<{ n: string }>(shardId, policy, COUNT_USERS, [], this.options());
    return Number(rows[0]!.n);
  }
}

function toUser(row: UserRow, shardId: number): User {
  return { userId: row.user_id, name: row.name, email: row.email, createdAt: row.created_at, shardId };
}
