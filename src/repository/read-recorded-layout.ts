import type pg from 'pg';
import { classifyFailure } from './classify-error.js';
import { SELECT_LATEST_LAYOUT } from './reshard-statements.js';

/** A layout recorded by `shardgate reshard`: its epoch and topology document (without passwords). */
export interface RecordedLayout {
  readonly epoch: number;
  readonly topology: unknown;
}

/**
 * The latest layout recorded on a primary, or null when none was (the layout table is the migrations').
 * Its connection goes back to the pool unless the node failed: `pool.query` would destroy it on any
 * error, so a database not yet migrated (no layout table, 42P01) would cost a new session every
 * health interval.
 */
export async function readRecordedLayout(pool: pg.Pool, timeoutMs: number): Promise<RecordedLayout | null> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const result = await client.query<RecordedLayout>({ text: SELECT_LATEST_LAYOUT.text, query_timeout: timeoutMs } as pg.QueryConfig);
    return result.rows[0] ?? null;
  } catch (err) {
    if (classifyFailure(err).kind === 'unavailable') broken = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    client.release(broken);
  }
}
