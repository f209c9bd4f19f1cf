import type pg from 'pg';
import { SELECT_LATEST_LAYOUT } from './reshard-statements.js';

/** A layout recorded by `shardgate reshard`: its epoch and topology document (without passwords). */
export interface RecordedLayout {
  readonly epoch: number;
  readonly topology: unknown;
}

/** The latest layout recorded on a primary, or null when none was (the layout table is the migrations'). */
export async function readRecordedLayout(pool: pg.Pool, timeoutMs: number): Promise<RecordedLayout | null> {
  const result = await pool.query<RecordedLayout>({ text: SELECT_LATEST_LAYOUT.text, query_timeout: timeoutMs } as pg.QueryConfig);
  return result.rows[0] ?? null;
}
