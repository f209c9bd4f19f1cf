import { spawn, spawnSync } from 'node:child_process';

/** Debian's package `prometheus` brings both; scripts/ensure-system-deps.mjs installs it when missing. */
export const PROMETHEUS_PACKAGE = 'prometheus';

/** The absolute path of `prometheus` or `promtool`, or a clear error naming the package. */
export function prometheusBinary(name: 'prometheus' | 'promtool'): string {
  const which = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = which.stdout.trim();
  if (which.status !== 0 || path === '') {
    throw new Error(
      `${name} is not installed: install the Debian package "${PROMETHEUS_PACKAGE}" (npm test does, as root, via scripts/ensure-system-deps.mjs)`,
    );
  }
  return path;
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `promtool args...`, feeding `input` on stdin; killed by its pid after `timeoutMs`. */
export function promtool(args: readonly string[], options: { input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  const child = spawn(prometheusBinary('promtool'), args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() });
    });
  });
}
