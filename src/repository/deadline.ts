/**
 * A request's deadline, as an absolute time in ms on the gateway's clock
 * (`Date.now` unless a test injects one). Pure: the current time is always
 * passed in, so the arithmetic is tested without waiting.
 */
export type Deadline = number;

/** The deadline of a request that starts at `now` and may take `timeoutMs`. */
export function deadlineAfter(now: number, timeoutMs: number): Deadline {
  return now + timeoutMs;
}

/** Milliseconds left before `deadline` at `now`; never negative. Infinity when there is no deadline. */
export function remaining(deadline: Deadline | undefined, now: number): number {
  if (deadline === undefined) return Number.POSITIVE_INFINITY;
  return Math.max(0, deadline - now);
}

/** The shorter of `limitMs` and what is left of the deadline. */
export function budget(deadline: Deadline | undefined, now: number, limitMs: number): number {
  return Math.min(limitMs, remaining(deadline, now));
}
