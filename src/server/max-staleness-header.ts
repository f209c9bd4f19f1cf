import { BadUserInputError } from '../graphql/errors.js';

export const STALENESS_HEADER = 'shardgate-max-staleness-ms';

const DIGITS = /^[0-9]{1,10}$/;

/** A day: a bound longer than that is as good as none, and a typo is better refused. */
const MAX_STALENESS_MS = 86_400_000;

/**
 * The request's staleness bound: `EVENTUAL` reads avoid replicas lagging
 * more than this many milliseconds behind their primary. Null when the
 * header is absent. 0 is allowed (only replicas with nothing left to
 * replay). Anything but an integer of 0..86400000 is refused before the
 * operation runs.
 */
export function maxStalenessMs(header: string | null): number | null {
  if (header === null) return null;
  const raw = header.trim();
  if (!DIGITS.test(raw) || Number(raw) > MAX_STALENESS_MS) {
    throw new BadUserInputError(STALENESS_HEADER, `expected an integer of milliseconds between 0 and ${MAX_STALENESS_MS}`);
  }
  return Number(raw);
}
