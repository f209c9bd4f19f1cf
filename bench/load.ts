import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { trackChild } from '../testkit/cleanup-at-exit.js';
import type { LoadResult, LoadSpec } from './load-spec.js';

const RUN_LOAD = fileURLToPath(new URL('./run-load.js', import.meta.url));

/** One load round from a fresh child process (dist-bench/bench/run-load.js). */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const child = fork(RUN_LOAD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  trackChild(child);
  return new Promise<LoadResult>((resolve, reject) => {
    let settled = false;
    child.once('message', (reply: { ok: true; result: LoadResult } | { ok: false; message: string }) => {
      settled = true;
      if (reply.ok) resolve(reply.result);
      else reject(new Error(`load generator failed: ${reply.message}`));
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (!settled) reject(new Error(`load generator exited without a result (${signal ?? `code ${code}`})`));
    });
    child.send(spec);
  });
}
