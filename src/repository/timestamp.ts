/**
 * `created_at` as a canonical UTC string with microseconds,
 * `2026-11-23T21:07:00.123456Z`.
 *
 * Why not a Date: PostgreSQL keeps microseconds and a Date keeps
 * milliseconds. Keyset cursors must carry the exact sort key, or two users
 * created in the same millisecond would be skipped or repeated across pages.
 * The canonical form has a fixed width, so plain string comparison orders it
 * (years 1000..9999), and PostgreSQL accepts it back as a timestamptz.
 */
export type Timestamp = string;

// What PostgreSQL prints for timestamptz with DateStyle=ISO and TimeZone=UTC
// (the pools set both): `2026-11-23 21:07:00.12+00`, fraction optional.
const PG_UTC = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/;
const CANONICAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

export function timestampFromPg(text: string): Timestamp {
  const m = PG_UTC.exec(text);
  if (m) return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(6, '0')}Z`;
  // Another session time zone: fall back to millisecond precision rather than fail.
  const date = new Date(text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
  if (Number.isNaN(date.getTime())) throw new Error(`unexpected timestamptz text: ${JSON.stringify(text)}`);
  return `${date.toISOString().slice(0, 23)}000Z`;
}

/**
 * Canonical form and a real instant: `Date.parse` alone accepts
 * 2026-02-30 (as March 2nd) and 24:00, which PostgreSQL refuses; the
 * instant must print back as itself. Years 0001..9999.
 */
export function isTimestamp(value: string): value is Timestamp {
  if (!CANONICAL.test(value) || value.startsWith('0000')) return false;
  const ms = Date.parse(`${value.slice(0, 23)}Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 23) === value.slice(0, 23);
}

/** ISO 8601 with milliseconds, what the GraphQL DateTime scalar shows. */
export function timestampToIso(ts: Timestamp): string {
  return `${ts.slice(0, 23)}Z`;
}
