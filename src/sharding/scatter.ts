/** One shard's part of a scatter: its value, or why it failed. */
export type ShardResult<T> = { readonly shardId: number } & (
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown }
);

/**
 * Runs `fn` on every shard at once (never one after another) and returns a
 * result per shard, positionally: whether a partial answer is acceptable is
 * the caller's explicit choice (see `allOrThrow`).
 */
export async function scatter<T>(shardIds: readonly number[], fn: (shardId: number) => Promise<T>): Promise<ShardResult<T>[]> {
  const settled = await Promise.allSettled(shardIds.map((id) => fn(id)));
  return settled.map((s, i) =>
    s.status === 'fulfilled' ? { shardId: shardIds[i]!, ok: true, value: s.value } : { shardId: shardIds[i]!, ok: false, error: s.reason },
  );
}

/** The values in shard order, or the first shard's error when any failed. */
export function allOrThrow<T>(results: readonly ShardResult<T>[]): T[] {
  const failed = results.find((r) => !r.ok);
  if (failed && !failed.ok) throw failed.error;
  return results.map((r) => (r as { value: T }).value);
}
