/** Waits `ms`: for pacing a load or a fault schedule, never before an assertion (wait on the condition instead). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 50 ms until it returns true, for at most `timeoutMs`; then throws naming `what`. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Polls `probe` every 100 ms (a rejection counts as "not yet") until `ok`
 * holds of its value, and returns that value; throws after `timeoutMs` with
 * the last value seen.
 */
export async function eventuallyValue<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe().catch(() => undefined);
    if (last !== undefined && ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`condition not reached within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await sleep(100);
  }
}
