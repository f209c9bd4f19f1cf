/** Per-request limits: deadlines and read-your-writes waits. */
export interface RequestOptions {
  /** Every operation's deadline; a client may ask for less with `shardgate-timeout-ms`. @default 10000 */
  readonly timeoutMs: number;
  /** How long a read with a consistency token waits for a replica to catch up before it reads the primary. @default 50 */
  readonly consistencyWaitMs: number;
}

export const DEFAULT_REQUEST_OPTIONS: RequestOptions = Object.freeze({ timeoutMs: 10_000, consistencyWaitMs: 50 });
