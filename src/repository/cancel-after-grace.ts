/**
 * How long the losing copy of a hedged read may take to finish on its own
 * before its server is asked to cancel it. Most losers are ordinary reads a
 * few milliseconds from done; a cancel request is a new connection to the
 * node (PostgreSQL forks a process to read it) and about 0.7 ms of the
 * gateway's CPU, dearer than letting such a read finish. A loser stuck on a
 * straggler is still cancelled, this much later.
 */
export const LOST_RACE_GRACE_MS = 100;

/**
 * Runs `cancel` once `graceMs` have passed unless `work` settles first (then
 * nothing is sent). Resolves with whether a cancel was sent and accepted,
 * like `cancel` itself.
 */
export function cancelAfterGrace(work: Promise<unknown>, graceMs: number, cancel: () => Promise<boolean>): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      cancel().then(resolve, () => resolve(false));
    }, graceMs);
    // A timer for a statement no one waits for must not keep the process alive.
    timer.unref?.();
    const settled = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(false);
    };
    work.then(settled, settled);
  });
}
