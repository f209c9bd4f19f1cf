/**
 * Like Promise.all, but waits for every task before throwing the first
 * failure (first in task order): when one shard fails, the others must not
 * keep running in the background after the caller has been told it is over,
 * whether that is a page's statements, a migration or a cluster's initdb.
 */
export async function settleAll<T extends readonly unknown[]>(tasks: readonly [...{ [K in keyof T]: Promise<T[K]> }]): Promise<T> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  // A tuple of tasks gives a tuple of values, an array an array.
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
