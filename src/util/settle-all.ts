/**
 * Like Promise.all, but waits for every task before throwing the first
 * failure (first in task order): when one shard fails, the others must not
 * keep running in the background after the caller has been told it is over,
 * whether that is a page's statements, a migration or a cluster's initdb.
 */
export async function settleAll<T>(tasks: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
