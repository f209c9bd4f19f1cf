import { spawn } from 'node:child_process';
import { ClusterError } from './cluster-error.js';
import { type PgOwner, pgOwner } from './pg-owner.js';

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  /** What the program was doing, for the error message: `initdb of shard 0 primary`. */
  readonly what: string;
  /** @default 120_000 */
  readonly timeoutMs?: number;
  readonly owner?: PgOwner;
}

/**
 * Run a PostgreSQL program as the user that owns the cluster and wait for it.
 *
 * The environment is cleaned of PG* variables, so that a PGPORT or PGDATA set
 * for some other server cannot redirect pg_basebackup, and LC_ALL=C keeps the
 * messages quoted in errors in English.
 */
export function runProgram(file: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const owner = options.owner ?? pgOwner();
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('PG') && !key.startsWith('LC_')) env[key] = value;
  }
  env['LC_ALL'] = 'C';
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(owner.uid !== null && owner.gid !== null ? { uid: owner.uid, gid: owner.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new ClusterError('COMMAND_FAILED', `${options.what} failed: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        resolve({ stdout, stderr });
        return;
      }
      const why =
        lastMeaningfulLine(stderr) ?? lastMeaningfulLine(stdout) ?? (signal !== null ? `killed by ${signal}` : `exit code ${code}`);
      reject(new ClusterError('COMMAND_FAILED', `${options.what} failed: ${why}`));
    });
  });
}

/** The last line that says something, skipping pg_ctl's generic hints. */
export function lastMeaningfulLine(text: string): string | null {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^(Examine the log output|HINT:|Try ")/.test(l));
  return lines.at(-1) ?? null;
}
