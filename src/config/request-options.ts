import { z } from 'zod';
import { envInteger, envProblems } from './env-values.js';
import type { Env } from './load-topology.js';

/** Per-request limits: deadlines and read-your-writes waits. */
export interface RequestOptions {
  /** Every operation's deadline; a client may ask for less with `shardgate-timeout-ms`. @default 10000 */
  readonly timeoutMs: number;
  /** How long a read with a consistency token waits for a replica to catch up before it reads the primary. @default 50 */
  readonly consistencyWaitMs: number;
}

export const DEFAULT_REQUEST_OPTIONS: RequestOptions = Object.freeze({ timeoutMs: 10_000, consistencyWaitMs: 50 });

const envSchema = z.object({
  SHARDGATE_REQUEST_TIMEOUT_MS: envInteger(1, 3_600_000),
  SHARDGATE_CONSISTENCY_WAIT_MS: envInteger(0, 60_000),
});

/** The request options from `env`; bad variables are added to `problems`, for the caller to report with the others. */
export function loadRequestOptions(env: Env, problems: string[]): RequestOptions {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    problems.push(...envProblems(parsed.error.issues, env));
    return DEFAULT_REQUEST_OPTIONS;
  }
  return Object.freeze({
    timeoutMs: parsed.data.SHARDGATE_REQUEST_TIMEOUT_MS ?? DEFAULT_REQUEST_OPTIONS.timeoutMs,
    consistencyWaitMs: parsed.data.SHARDGATE_CONSISTENCY_WAIT_MS ?? DEFAULT_REQUEST_OPTIONS.consistencyWaitMs,
  });
}
