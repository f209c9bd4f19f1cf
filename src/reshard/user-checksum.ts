/** Row count and an order-independent checksum of a set of users' digests. */
export interface Checksum {
  readonly count: number;
  /** Sum of every 128-bit digest, mod 2^128, as 32 hex digits. */
  readonly sum: string;
}

const MASK = (1n << 128n) - 1n;

/** Pure: the same users with the same contents give the same checksum, in any order. */
export function checksumOf(digests: Iterable<string>): Checksum {
  const sum = new ChecksumSum();
  for (const digest of digests) sum.add(digest);
  return sum.result();
}

/** A checksum built one digest at a time (no set of users kept). */
export class ChecksumSum {
  private count = 0;
  private sum = 0n;

  /** `rows`: how many rows the digest covers (a user's orders are one digest). */
  add(digest: string, rows = 1): void {
    this.count += rows;
    this.sum = (this.sum + BigInt(`0x${digest}`)) & MASK;
  }

  result(): Checksum {
    return { count: this.count, sum: this.sum.toString(16).padStart(32, '0') };
  }
}

export type Difference =
  | { readonly userId: string; readonly kind: 'missing' }
  | { readonly userId: string; readonly kind: 'extra' }
  | { readonly userId: string; readonly kind: 'different' };

export interface ShardComparison {
  readonly shardId: number;
  readonly expected: Checksum;
  readonly actual: Checksum;
  readonly equal: boolean;
  /** Empty when equal; else every user that differs, sorted by user id. */
  readonly differences: readonly Difference[];
}

/**
 * Compares what a new shard must hold (`expected`, read from the old
 * shards: user id → digest) with what it holds (`actual`). Equal checksums
 * and counts mean equal; otherwise the users are compared one by one to name
 * the ones that differ: missing on the new shard, extra there, or different.
 */
export function compareShard(shardId: number, expected: ReadonlyMap<string, string>, actual: ReadonlyMap<string, string>): ShardComparison {
  const e = checksumOf(expected.values());
  const a = checksumOf(actual.values());
  if (e.count === a.count && e.sum === a.sum) return { shardId, expected: e, actual: a, equal: true, differences: [] };
  const differences: Difference[] = [];
  for (const [userId, digest] of expected) {
    const other = actual.get(userId);
    if (other === undefined) differences.push({ userId, kind: 'missing' });
    else if (other !== digest) differences.push({ userId, kind: 'different' });
  }
  for (const userId of actual.keys()) if (!expected.has(userId)) differences.push({ userId, kind: 'extra' });
  differences.sort((x, y) => (x.userId < y.userId ? -1 : x.userId > y.userId ? 1 : 0));
  return { shardId, expected: e, actual: a, equal: false, differences };
}
