import type { ReshardStore, RunLock, RunLockHolder } from '../repository/reshard-store.js';
import { ReshardError } from './reshard-error.js';

/** How long a run waits for the lock of a holder that is known to be dead (its session is ending). */
const DEAD_HOLDER_WAIT_MS = 15_000;
const RETRY_MS = 100;

export interface Holder {
  readonly host: string;
  readonly pid: number;
}

/** The session name of a run: what a refused run prints (PostgreSQL keeps the first 63 bytes). */
export function holderName(holder: Holder): string {
  return `shardgate-reshard pid=${holder.pid} host=${holder.host}`;
}

/** Reads a holder back from its session name; null for a session not named by holderName. */
export function parseHolderName(name: string): Holder | null {
  const m = /^shardgate-reshard pid=(\d+) host=(.*)$/.exec(name);
  return m ? { pid: Number(m[1]), host: m[2]! } : null;
}

export function describeHolder(holder: RunLockHolder): string {
  const parsed = parseHolderName(holder.name);
  return parsed
    ? `host ${parsed.host}, pid ${parsed.pid}, since ${holder.since}`
    : `session ${JSON.stringify(holder.name)}, since ${holder.since}`;
}

export interface RunLockEnvironment {
  readonly holder: Holder;
  /** Whether a process of this host is alive (a holder on another host is taken to be). */
  readonly isAlive: (pid: number) => boolean;
  readonly clock: () => number;
}

/**
 * Takes the run lock on every store (the old shards: every reshard of their
 * layout involves them), in order. Held for the run's life: a second run of
 * the same job, or of any other job on these shards, is refused at once,
 * naming the holder. A holder that died releases its locks with its
 * sessions; one on this host whose process is gone is waited for a few
 * seconds (its sessions are ending), so a rerun right after a crash resumes.
 */
export async function takeRunLocks(stores: readonly ReshardStore[], env: RunLockEnvironment): Promise<RunLock[]> {
  const held: RunLock[] = [];
  try {
    for (const store of stores) held.push(await takeOne(store, env));
    return held;
  } catch (err) {
    await Promise.allSettled(held.map((l) => l.release()));
    throw err;
  }
}

async function takeOne(store: ReshardStore, env: RunLockEnvironment): Promise<RunLock> {
  const name = holderName(env.holder);
  const deadline = env.clock() + DEAD_HOLDER_WAIT_MS;
  for (;;) {
    const lock = await store.tryRunLock(name);
    if (lock) return lock;
    const holder = await store.runLockHolder();
    // Released between the two statements: try again.
    if (holder === null && env.clock() < deadline) continue;
    if (holder === null) throw new ReshardError('another shardgate reshard is running on these shards; wait for it to finish');
    const parsed = parseHolderName(holder.name);
    const dead = parsed !== null && parsed.host === env.holder.host && !env.isAlive(parsed.pid);
    if (!dead || env.clock() >= deadline) {
      throw new ReshardError(
        `another shardgate reshard is running on these shards (${describeHolder(holder)}); ` +
          'wait for it to finish, or stop it and run this command again to resume',
      );
    }
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}

/** Whether a process of this host is alive. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
