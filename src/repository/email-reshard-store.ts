import { ReadPolicy } from '../sharding/read-policy.js';
import type { Database } from './database.js';
import { COUNT_LOOKUP, DELETE_LOOKUP, LOOKUP_DIGESTS, SCAN_LOOKUP, SELECT_LOOKUP_ROWS, UPSERT_LOOKUP } from './email-statements.js';
import type { Timestamp } from './timestamp.js';

/** A lookup row as `shardgate reshard` moves it: every column, unchanged. */
export interface LookupRow {
  readonly email: string;
  readonly userId: string;
  readonly claimId: string | null;
  readonly createdAt: Timestamp;
  readonly expiresAt: Timestamp;
}

export interface LookupKey {
  readonly email: string;
  readonly userId: string;
}

interface RawLookupRow {
  email_lower: string;
  user_id: string;
  claim_id: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
}

/**
 * The email lookup's side of `shardgate reshard` on one database (like
 * ReshardStore for users, through the same door and the tool's connections,
 * which the layout guard lets through): lookup rows live on the shard of
 * their email, so they move by that hash, not by their user's.
 */
export class EmailReshardStore {
  constructor(
    private readonly db: Database,
    private readonly shardId: number,
  ) {}

  async scan(after: LookupKey | null, limit: number): Promise<LookupRow[]> {
    const { rows } = await this.db.read<RawLookupRow>(this.shardId, ReadPolicy.PrimaryOnly, SCAN_LOOKUP, [
      after?.email ?? null,
      after?.userId ?? null,
      limit,
    ]);
    return rows.map(toRow);
  }

  async rows(keys: readonly LookupKey[]): Promise<LookupRow[]> {
    if (keys.length === 0) return [];
    const { rows } = await this.db.read<RawLookupRow>(this.shardId, ReadPolicy.PrimaryOnly, SELECT_LOOKUP_ROWS, [
      keys.map((k) => k.email),
      keys.map((k) => k.userId),
    ]);
    return rows.map(toRow);
  }

  async upsert(rows: readonly LookupRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.write(this.shardId, UPSERT_LOOKUP, [
      rows.map((r) => r.email),
      rows.map((r) => r.userId),
      rows.map((r) => r.claimId),
      rows.map((r) => r.createdAt),
      rows.map((r) => r.expiresAt),
    ]);
  }

  async delete(keys: readonly LookupKey[]): Promise<number> {
    if (keys.length === 0) return 0;
    const { rowCount } = await this.db.write(this.shardId, DELETE_LOOKUP, [keys.map((k) => k.email), keys.map((k) => k.userId)]);
    return rowCount;
  }

  async count(): Promise<number> {
    const { rows } = await this.db.read<{ n: string }>(this.shardId, ReadPolicy.PrimaryOnly, COUNT_LOOKUP, []);
    return Number(rows[0]!.n);
  }

  async digests(): Promise<{ email: string; userId: string; digest: string }[]> {
    const { rows } = await this.db.read<{ email_lower: string; user_id: string; digest: string }>(
      this.shardId,
      ReadPolicy.PrimaryOnly,
      LOOKUP_DIGESTS,
      [],
    );
    return rows.map((r) => ({ email: r.email_lower, userId: r.user_id, digest: r.digest }));
  }
}

function toRow(r: RawLookupRow): LookupRow {
  return { email: r.email_lower, userId: r.user_id, claimId: r.claim_id, createdAt: r.created_at, expiresAt: r.expires_at };
}
