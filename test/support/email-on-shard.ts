import { shardIdFor } from '../../src/sharding/shard-id-for.js';
import { emailLookupKey } from '../../src/sharding/email-lookup-key.js';

/** Candidates tried before giving up: with N shards about one in N lands on each, so this never runs out for N <= 64. */
const MAX_TRIES = 100_000;

/**
 * An email `${prefix}-${i}@x.io` whose lookup row lives on `shardId` of
 * `shardCount`, found with the gateway's own key and routing functions.
 * Writing a user's email also writes the email's lookup shard, so a test that
 * means to touch one shard only gives its users an email that lives there.
 */
export function emailOnShard(shardId: number, shardCount: number, prefix: string): string {
  for (let i = 0; i < MAX_TRIES; i++) {
    const email = `${prefix}-${i}@x.io`;
    if (shardIdFor(emailLookupKey(email), shardCount) === shardId) return email;
  }
  throw new Error(`no email with prefix ${prefix} on shard ${shardId} of ${shardCount} in ${MAX_TRIES} tries`);
}

/** An email whose lookup row lives on the same shard as `userId`'s row: a createUser of the two touches that shard alone. */
export function emailBesideUser(userId: string, shardCount: number): string {
  return emailOnShard(shardIdFor(userId, shardCount), shardCount, userId);
}
