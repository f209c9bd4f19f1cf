import { z } from 'zod';
import type { Env } from './load-topology.js';

/** Per-request limits: deadlines and read-your-writes waits. */
export interface RequestOptions {
  /** Every operation's deadline; a client may ask for less with `shardgate-timeout-ms`. @default 10000 */
  readonly timeoutMs: number;
  /** How long a read with a consistency token waits for a replica to catch up before it reads the primary. @default 50 */
  readonly consistencyWaitMs: number;
}

export const DEFAULT_REQUEST_OPTIONS: RequestOptions = Object.freeze({ timeoutMs: 10_000, consistencyWaitMs: 50 });

const VARIABLES = {
  SHARDGATE_REQUEST_TIMEOUT_MS: ['timeoutMs', 1, 3_600_000],
  SHARDGATE_CONSISTENCY_WAIT_MS: ['consistencyWaitMs', 0, 60_000],
} as const;

export const REQUEST_OPTION_VARIABLES = Object.keys(VARIABLES);

/** The request options from the environment; problems are returned, one line each, for the caller to report with the others. */
export function loadRequestOptions(env: Env, problems: string[]): RequestOptions {
  const options: Record<string, number> = { ...DEFAULT_REQUEST_OPTIONS };
  for (const [name, [key, min, max]] of Object.entries(VARIABLES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const parsed = z.coerce.number().int().min(min).max(max).safeParse(raw);
    if (!parsed.success) problems.push(`${name}: expected an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
    else options[key] = parsed.data;
  }
  return Object.freeze(options) as unknown as RequestOptions;
}
