import { ReshardError } from './reshard-error.js';

/**
 * How far a reshard job got, recorded on every database taking part after
 * each step completes. A phase is recorded only once its step is done, so
 * the most advanced phase found on any database is one whose work is
 * complete, and a rerun continues from there:
 *
 * - `prepared`: schema, layout guard and change capture installed;
 * - `copied`: every user that moves has been copied once;
 * - `paused`: the cutover began (gateway writes to the old shards are refused
 *   and retried by the gateways);
 * - `switched`: the new layout is recorded everywhere;
 * - `done`: the moved users are deleted from the shards they left.
 */
export type Phase = 'prepared' | 'copied' | 'paused' | 'switched' | 'done';

export const PHASES: readonly Phase[] = ['prepared', 'copied', 'paused', 'switched', 'done'];

export type Step = 'prepare' | 'copy' | 'catch-up' | 'cutover' | 'cleanup';

export function isPhase(value: string): value is Phase {
  return (PHASES as readonly string[]).includes(value);
}

/** The most advanced of the recorded phases, or null when none was recorded. */
export function mostAdvanced(recorded: readonly string[]): Phase | null {
  let best = -1;
  for (const phase of recorded) {
    if (!isPhase(phase)) throw new ReshardError(`unknown reshard phase ${JSON.stringify(phase)} recorded (written by a newer shardgate?)`);
    best = Math.max(best, PHASES.indexOf(phase));
  }
  return best < 0 ? null : PHASES[best]!;
}

/**
 * The steps still to run from a recorded phase. Preparing is idempotent, so
 * a job that crashed while preparing prepares again; a copy resumes from
 * each old shard's recorded cursor.
 */
export function stepsFrom(phase: Phase | null): Step[] {
  switch (phase) {
    case null:
    case 'prepared':
      return ['prepare', 'copy', 'catch-up', 'cutover', 'cleanup'];
    case 'copied':
      return ['catch-up', 'cutover', 'cleanup'];
    case 'paused':
      return ['cutover', 'cleanup'];
    case 'switched':
      return ['cleanup'];
    case 'done':
      return [];
  }
}

/**
 * The phase to record after a step. A cutover that finds a difference is
 * aborted: writes go back to the old shards and the job is `copied` again,
 * so that a rerun catches up (the differing users queued for copying) and
 * tries the cutover anew.
 */
export function phaseAfter(step: Step, outcome: 'ok' | 'aborted' = 'ok'): Phase {
  switch (step) {
    case 'prepare':
      return 'prepared';
    case 'copy':
    case 'catch-up':
      return 'copied';
    case 'cutover':
      return outcome === 'aborted' ? 'copied' : 'switched';
    case 'cleanup':
      return 'done';
  }
}
