import type { Database } from './database.js';
import { PRUNE_EMAIL_CLAIMS } from './email-statements.js';

/**
 * How old a claim marker (`user_email_claims`) must be before it may go.
 * A marker only tells whoever judges a lookup row whether that claim's
 * users write can still land: `applied` (it did) or `fenced` (it never
 * will). That question is open only while the write can still be running:
 * within its request's deadline (`SHARDGATE_REQUEST_TIMEOUT_MS`, at most
 * 1 h), or, if the connection broke after it was sent, until the server
 * ends it (`statement_timeout`, at most 1 h). A week is far beyond both.
 * After that, a lookup row with a pruned claim is judged as one whose lease
 * is over and that has no marker: it is fenced (a no-op for a write long
 * over) and its owner's row is read again, which decides by the truth.
 * The age is measured on the clock that stamped the marker (its shard's
 * `now()`), so no clock skew between servers enters.
 */
export const EMAIL_MARKER_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** Markers deleted per statement: a short transaction each. */
const PRUNE_BATCH = 1000;
/** Statements per shard and run at most: a run is bounded; the next one goes on. */
const MAX_BATCHES = 100;

export interface PruneResult {
  readonly pruned: number;
  /** Shards whose pruning failed this time (down, paused by a reshard): tried again at the next run. */
  readonly failed: readonly { shardId: number; error: unknown }[];
}

/**
 * Deletes claim markers older than `olderThanMs` on every shard's primary,
 * in batches (at most 100 000 per shard and run). Markers of users a shard
 * no longer owns after a reshard are left to its cleanup. Never rejects.
 */
export async function pruneEmailClaims(db: Database, options: { olderThanMs?: number; batchSize?: number } = {}): Promise<PruneResult> {
  const olderThanMs = options.olderThanMs ?? EMAIL_MARKER_RETENTION_MS;
  const batch = options.batchSize ?? PRUNE_BATCH;
  const failed: { shardId: number; error: unknown }[] = [];
  const counts = await Promise.all(
    db.manager.allShards().map(async ({ id: shardId }) => {
      let pruned = 0;
      try {
        for (let i = 0; i < MAX_BATCHES; i++) {
          const { rowCount } = await db.write(shardId, PRUNE_EMAIL_CLAIMS, [olderThanMs, batch]);
          pruned += rowCount;
          if (rowCount < batch) break;
        }
      } catch (error) {
        failed.push({ shardId, error });
      }
      return pruned;
    }),
  );
  return { pruned: counts.reduce((a, b) => a + b, 0), failed };
}

/**
 * Prunes claim markers in the background, every `intervalMs` (the first run
 * after between half of it and all of it, at random, so gateways started
 * together do not prune together; several gateways pruning at once only
 * repeat deletes).
 */
export function startEmailClaimPruning(
  db: Database,
  intervalMs: number,
  log: (event: string, fields: Record<string, unknown>) => void,
): { stop(): void } {
  let running: Promise<void> | null = null;
  let stopped = false;
  const run = () => {
    if (running || stopped) return;
    running = pruneEmailClaims(db)
      .then(({ pruned, failed }) => {
        if (pruned > 0) log('email claim markers pruned', { pruned });
        for (const f of failed) {
          log('email claim markers not pruned', {
            shardId: f.shardId,
            error: f.error instanceof Error ? f.error.message : String(f.error),
          });
        }
      })
      .finally(() => {
        running = null;
      });
  };
  let timer: NodeJS.Timeout = setTimeout(
    () => {
      run();
      timer = setInterval(run, intervalMs);
      timer.unref();
    },
    Math.floor(intervalMs / 2 + (Math.random() * intervalMs) / 2),
  );
  timer.unref();
  return {
    // A run in flight is not waited for: closing the pools ends it, and a failed run is only logged.
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      clearInterval(timer);
    },
  };
}
