/**
 * The key of an email in the lookup: the email in lower case, as JavaScript
 * lowers it (never PostgreSQL's lower(), whose result depends on the
 * database's locale). The lookup row lives on shard fnv1a32(key) % N, and a
 * user matches an email when the keys of both are equal, so every side —
 * writes, reads, the backfill, resharding — must compute it here.
 */
export function emailLookupKey(email: string): string {
  return email.toLowerCase();
}

/** Whether `email` (as stored in a user's row) is the email of the lookup key `key`. */
export function emailMatches(email: string, key: string): boolean {
  return emailLookupKey(email) === key;
}
