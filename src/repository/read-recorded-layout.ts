import type pg from 'pg';
import { LAYOUT_TABLE_PRESENT, SELECT_LATEST_LAYOUT } from './reshard-statements.js';

/** A layout recorded by `shardgate reshard`: its epoch and topology document (without passwords). */
export interface RecordedLayout {
  readonly epoch: number;
  readonly topology: unknown;
}

const UNDEFINED_TABLE = '42P01';

/**
 * The latest layout recorded on a primary, or null when none was. The layout
 * table exists only once a reshard created it: it is looked for first, so
 * that a database that was never resharded logs no error each interval, and
 * a table dropped between the two statements (42P01) also means "none".
 * Once the table is created by a versioned migration, both checks go.
 */
export async function readRecordedLayout(pool: pg.Pool, timeoutMs: number): Promise<RecordedLayout | null> {
  const present = await pool.query<{ present: boolean }>({ text: LAYOUT_TABLE_PRESENT.text, query_timeout: timeoutMs } as pg.QueryConfig);
  if (!present.rows[0]?.present) return null;
  try {
    const result = await pool.query<RecordedLayout>({ text: SELECT_LATEST_LAYOUT.text, query_timeout: timeoutMs } as pg.QueryConfig);
    return result.rows[0] ?? null;
  } catch (err) {
    if ((err as { code?: unknown }).code === UNDEFINED_TABLE) return null;
    throw err;
  }
}
