import { spawn, type SpawnOptions } from 'node:child_process';

/** A child started in a process group of its own, its output kept for diagnostics. */
export interface GroupProcess {
  readonly pid: number;
  readonly command: string;
  /** Resolves with the exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  hasExited(): boolean;
  output(): string;
}

/**
 * Start `command` as the leader of a new process group (`detached`), so that
 * it and anything it forks (a shell script's pg_basebackup, say) can be
 * stopped together by its pid.
 */
export function spawnGroup(command: string, args: readonly string[], options: SpawnOptions = {}): GroupProcess {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const chunks: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  let done = false;
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      done = true;
      resolve(code);
    });
  });
  return {
    pid: child.pid,
    command: [command, ...args].join(' '),
    exited,
    hasExited: () => done,
    output: () => chunks.join(''),
  };
}

/**
 * Stop a process started by spawnGroup: `signal` to the leader (SIGINT is
 * PostgreSQL's fast shutdown), then SIGKILL to the whole group if it has not
 * exited within `graceMs`, or if it left children behind.
 */
export async function stopGroup(proc: GroupProcess, signal: NodeJS.Signals = 'SIGINT', graceMs = 10_000): Promise<void> {
  if (!proc.hasExited()) {
    signalQuietly(proc.pid, signal);
    const timedOut = await Promise.race([
      proc.exited.then(
        () => false,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs).unref()),
    ]);
    if (timedOut) signalQuietly(-proc.pid, 'SIGKILL');
    await proc.exited.catch(() => undefined);
  }
  signalQuietly(-proc.pid, 'SIGKILL');
}

/** Run to completion (killing the group after `timeoutMs`); the exit code and the output. */
export async function runGroup(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
  timeoutMs = 30_000,
): Promise<{ code: number | null; output: string }> {
  const proc = spawnGroup(command, args, options);
  const timer = setTimeout(() => signalQuietly(-proc.pid, 'SIGKILL'), timeoutMs);
  try {
    const code = await proc.exited;
    return { code, output: proc.output() };
  } finally {
    clearTimeout(timer);
    signalQuietly(-proc.pid, 'SIGKILL');
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    // ESRCH: already gone. EPERM: the pid now belongs to someone else's process.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ESRCH' && code !== 'EPERM') throw err;
  }
}
