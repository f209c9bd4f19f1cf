import { randomUUID } from 'node:crypto';
import { emailMatches } from '../sharding/email-lookup-key.js';
import { ReadPolicy } from '../sharding/read-policy.js';
import type { Database, QueryOptions } from './database.js';
import { remaining } from './deadline.js';
import {
  CLAIM_EMAIL,
  CLAIM_EMAILS_BULK,
  CLAIM_UNIQUE_EMAIL,
  CLAIM_STATUS,
  FENCE_CLAIM,
  FIND_EMAIL,
  OWNER_EMAIL,
  RELEASE_EMAIL,
  TAKE_OVER_EMAIL,
} from './email-statements.js';
import { EmailAlreadyExistsError, SqlError } from './errors.js';
import { LayoutRetry } from './layout-retry.js';
import { createRequestScope, type RequestScope } from './request-scope.js';
import type { Timestamp } from './timestamp.js';
import type { User } from './user.js';

/** What FIND_EMAIL returns: a lookup row, and its owner's row when that is on the same shard. */
interface FoundClaimRow {
  user_id: string;
  claim_id: string | null;
  settled: boolean;
  owner_here: boolean;
  owner_name: string | null;
  owner_email: string | null;
  owner_created_at: Timestamp | null;
}

/** A row of the lookup: `userId` claimed the email under `claimId` (null: built from an existing user). */
export interface EmailClaimRow {
  readonly userId: string;
  readonly claimId: string | null;
  /** The claim's request has run out of time: if its owner does not hold the email now, it never will under this claim. */
  readonly settled: boolean;
  /**
   * The owner as read by the same statement, when the owner lives on the
   * lookup shard (null: no such user there); undefined when it lives
   * elsewhere and must be read on its own shard.
   */
  readonly owner?: User | null;
}

export interface EmailLookupOptions {
  /** An email belongs to at most one user (SHARDGATE_UNIQUE_EMAILS). @default false */
  readonly unique: boolean;
  /** Where failed clean-ups and repairs are reported (they never fail a request). */
  readonly log?: (event: string, fields: Record<string, unknown>) => void;
  /** @default Date.now */
  readonly clock?: () => number;
}

/**
 * How long a claim stays "in flight" past the end of its request's time: a
 * write sent just before the deadline may still be running on the server.
 * Only liveness depends on it (a claim is treated as live a little longer);
 * safety comes from the fence, see `ownerHolds`.
 */
const LEASE_MARGIN_MS = 2_000;
/** The lease of a claim made outside a request (no deadline): seeding, tools. */
const DEFAULT_LEASE_MS = 60_000;
const MAX_LEASE_MS = 2_000_000_000;
/** Unique emails: a claim is tried at most this often (a failed take-over means someone else claimed it: try once more). */
export const CLAIM_ATTEMPTS = 2;
/**
 * The most statements one email claim sends: per attempt the claim, and for
 * another holder its claim's status, the fence and the owner's row again,
 * and the take-over.
 */
export const MAX_CLAIM_STATEMENTS = CLAIM_ATTEMPTS * 5;
/** Repairs of stale rows found by reads, running at once in one gateway; more are dropped (the next read finds them again). */
const MAX_REPAIRS_IN_FLIGHT = 16;
const REPAIR_TIMEOUT_MS = 5_000;
const NO_UNIQUE_INDEX = '42P10';
const UNIQUE_VIOLATION = '23505';

/** Shared by every request of one gateway: the read repairs in flight. */
class RepairQueue {
  readonly running = new Set<string>();
  readonly done: Promise<void>[] = [];
}

/**
 * The `user_emails` lookup (docs/email-lookup.md): claims written before the
 * users row, released after it, read as hints and repaired when stale. Every
 * statement goes through the door, charged to the request when there is one.
 */
export class EmailLookup {
  private readonly clock: () => number;
  private readonly log: NonNullable<EmailLookupOptions['log']>;

  constructor(
    private readonly db: Database,
    readonly options: EmailLookupOptions = { unique: false },
    private readonly layout: LayoutRetry = new LayoutRetry(() => null),
    private readonly scope?: RequestScope,
    private readonly repairs: RepairQueue = new RepairQueue(),
  ) {
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? (() => {});
  }

  forRequest(scope: RequestScope): EmailLookup {
    return new EmailLookup(this.db, this.options, this.layout, scope, this.repairs);
  }

  /** The shard of the lookup row of `key` (an emailLookupKey). */
  shardIdOf(key: string): number {
    return this.db.manager.shardIdOf(key);
  }

  private queryOptions(): QueryOptions | undefined {
    return this.scope ? { scope: this.scope } : undefined;
  }

  /** The claim's lease: what is left of the request's time, and a margin. */
  private leaseMs(): number {
    const left = remaining(this.scope?.deadline, this.clock());
    return Math.min(MAX_LEASE_MS, Math.ceil(Number.isFinite(left) ? left : DEFAULT_LEASE_MS) + LEASE_MARGIN_MS);
  }

  /**
   * Claims `key` for `userId`, before the users row is written; returns the
   * claim id that write must carry. With unique emails, throws
   * EmailAlreadyExistsError (for `field`) when another user holds the email
   * or claimed it in a write still in flight; a stale claim (its owner does
   * not hold the email, and its write can no longer land) is taken over.
   */
  async claim(key: string, userId: string, field: string): Promise<string> {
    for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
      const claimId = randomUUID();
      if (!this.options.unique) {
        await this.write(key, CLAIM_EMAIL, [key, userId, claimId, this.leaseMs()]);
        return claimId;
      }
      const { rows } = await this.write<{ user_id: string; claim_id: string | null; expired: boolean }>(key, CLAIM_UNIQUE_EMAIL, [
        key,
        userId,
        claimId,
        this.leaseMs(),
      ]);
      const holder = rows[0]!;
      if (holder.user_id === userId) return claimId;
      if ((await this.claimStatus(key, holder.user_id, holder.claim_id, holder.expired, this.scope)) !== 'stale') {
        throw new EmailAlreadyExistsError(field);
      }
      const taken = await this.write(key, TAKE_OVER_EMAIL, [key, holder.user_id, claimId, this.leaseMs(), userId, holder.claim_id]);
      if (taken.rowCount === 1) return claimId;
      // Someone else changed the claim since it was read: look again.
    }
    throw new EmailAlreadyExistsError(field);
  }

  /**
   * Claims for a bulk load (seeding, benchmarks), one statement per lookup
   * shard; returns the claim ids in the order of `entries`. An email that is
   * already claimed is left as it is (with unique emails, that user's row
   * then holds an email that the lookup does not point at it for: bulk
   * loads are meant for fresh data).
   */
  async claimMany(entries: readonly { key: string; userId: string }[]): Promise<string[]> {
    const ids = entries.map(() => randomUUID());
    const byShard = new Map<number, number[]>();
    entries.forEach((e, i) => {
      const shardId = this.shardIdOf(e.key);
      byShard.set(shardId, [...(byShard.get(shardId) ?? []), i]);
    });
    await Promise.all(
      [...byShard].map(([shardId, at]) =>
        this.db.write(
          shardId,
          CLAIM_EMAILS_BULK,
          [at.map((i) => entries[i]!.key), at.map((i) => entries[i]!.userId), at.map((i) => ids[i]!), this.leaseMs()],
          this.queryOptions(),
        ),
      ),
    );
    return ids;
  }

  /**
   * Removes `userId`'s claim of `key` made under `claimId` (the user's email
   * moved on, or the user is gone). Never fails the caller: a row left behind
   * is stale, and the next read or claim of the email repairs it.
   */
  async release(key: string, userId: string, claimId: string | null): Promise<void> {
    try {
      await this.write(key, RELEASE_EMAIL, [key, userId, claimId]);
    } catch (err) {
      this.log('email lookup clean-up failed; a read will repair it', { shardId: this.shardIdOf(key), error: describe(err) });
    }
  }

  /**
   * The claims of `key`: one statement on its lookup shard, by the read
   * policy (and the request's token). Owners that live on that shard come
   * with it, read in the same snapshot of the same node as their own lookup
   * would have been.
   */
  async find(key: string, policy: ReadPolicy): Promise<EmailClaimRow[]> {
    const lookupShard = this.shardIdOf(key);
    const { rows } = await this.db.read<FoundClaimRow>(lookupShard, policy, FIND_EMAIL, [key], this.queryOptions());
    return rows.map((r) => {
      const claim = { userId: r.user_id, claimId: r.claim_id, settled: r.settled };
      // A row of a user who lives elsewhere (a reshard's copy not yet cleaned up) is not this user's truth.
      if (this.db.manager.shardIdOf(r.user_id) !== lookupShard) return claim;
      const owner: User | null = r.owner_here
        ? { userId: r.user_id, name: r.owner_name!, email: r.owner_email!, createdAt: r.owner_created_at!, shardId: lookupShard }
        : null;
      return { ...claim, owner };
    });
  }

  /**
   * A read found `row` pointing at a user who does not hold `key`: repair it
   * in the background, outside the request (its statements are not the
   * reader's), with a deadline of its own. A row whose write may still be on
   * its way is left alone (see claimStatus).
   */
  scheduleRepair(key: string, row: EmailClaimRow): void {
    const id = `${key}\u0000${row.userId}\u0000${row.claimId ?? ''}`;
    const { running, done } = this.repairs;
    if (running.has(id) || running.size >= MAX_REPAIRS_IN_FLIGHT) return;
    running.add(id);
    const work: Promise<void> = this.repair(key, row)
      .then(() => undefined)
      .catch((err: unknown) => this.log('email lookup repair failed', { shardId: this.shardIdOf(key), error: describe(err) }))
      .finally(() => {
        running.delete(id);
        const at = done.indexOf(work);
        if (at >= 0) done.splice(at, 1);
      });
    done.push(work);
  }

  /** Resolves once the repairs scheduled so far have finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.repairs.done.length > 0) await Promise.all([...this.repairs.done]);
  }

  /** Deletes the row if its owner does not hold the email (checked after fencing its claim). True when it went. */
  async repair(key: string, row: EmailClaimRow): Promise<boolean> {
    const scope = createRequestScope('email-repair', 8, { deadline: this.clock() + REPAIR_TIMEOUT_MS });
    if ((await this.claimStatus(key, row.userId, row.claimId, row.settled, scope)) !== 'stale') return false;
    const { rowCount } = await this.layout.run(
      () => this.db.write(this.shardIdOf(key), RELEASE_EMAIL, [key, row.userId, row.claimId], { scope }),
      () => this.shardIdOf(key),
      scope.deadline,
    );
    return rowCount > 0;
  }

  /**
   * Whether the lookup row (`key`, `ownerId`, `claimId`) is live, decided for
   * good, on the owner's shard: `holds` when the owner's row holds the email
   * now; `stale` when it does not and the claim's users write can no longer
   * land (it did land and was superseded, or it was fenced, or the row was
   * backfilled); `pending` when that write has not landed and its request
   * may still be running (`expired` false). A claim that has not landed and
   * whose lease is over is fenced first (a users write carrying it, still on
   * its way, will now do nothing), then the owner's row is read again in a
   * statement of its own, so that a write that beat the fence is seen.
   * After `stale`, the owner can come to hold the email only through a new
   * claim, which changes the lookup row's claim id: every repair and
   * take-over is conditional on the claim id it judged.
   */
  private async claimStatus(
    key: string,
    ownerId: string,
    claimId: string | null,
    expired: boolean,
    scope: RequestScope | undefined,
  ): Promise<'holds' | 'stale' | 'pending'> {
    const ownerShard = () => this.db.manager.shardIdOf(ownerId);
    const options = scope ? { scope } : undefined;
    const { rows } = await this.db.read<{ state: string | null; email: string | null }>(
      ownerShard(),
      ReadPolicy.PrimaryOnly,
      CLAIM_STATUS,
      [claimId, ownerId],
      options,
    );
    const now = rows[0]!;
    if (now.email !== null && emailMatches(now.email, key)) return 'holds';
    if (claimId === null || now.state !== null) return 'stale';
    if (!expired) return 'pending';
    await this.layout.run(() => this.db.write(ownerShard(), FENCE_CLAIM, [claimId, ownerId], options), ownerShard, scope?.deadline);
    const again = await this.db.read<{ email: string }>(ownerShard(), ReadPolicy.PrimaryOnly, OWNER_EMAIL, [ownerId], options);
    return again.rows.length > 0 && emailMatches(again.rows[0]!.email, key) ? 'holds' : 'stale';
  }

  private write<R extends object>(key: string, stmt: Parameters<Database['write']>[1], params: readonly unknown[], field = 'input.email') {
    return this.layout.run(
      async () => {
        try {
          return await this.db.write<R>(this.shardIdOf(key), stmt, params, this.queryOptions());
        } catch (err) {
          // Unique emails were turned on in the database (migrate) before this gateway was told: it obeys them.
          if (err instanceof SqlError && err.sqlState === UNIQUE_VIOLATION && stmt === CLAIM_EMAIL)
            throw new EmailAlreadyExistsError(field);
          if (err instanceof SqlError && err.sqlState === NO_UNIQUE_INDEX) {
            throw new Error(
              'unique emails are on (SHARDGATE_UNIQUE_EMAILS) but the email lookup has no unique index: run `shardgate migrate` with it on',
              { cause: err },
            );
          }
          throw err;
        }
      },
      () => this.shardIdOf(key),
      this.scope?.deadline,
    );
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
