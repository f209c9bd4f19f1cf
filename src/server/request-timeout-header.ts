import { BadUserInputError } from '../graphql/errors.js';

export const TIMEOUT_HEADER = 'shardgate-timeout-ms';

const DIGITS = /^[0-9]{1,10}$/;

/**
 * The request's time budget: the gateway's limit, or less when the client
 * asks for less with `shardgate-timeout-ms`. A client cannot raise the limit:
 * a larger value is capped, not refused. Anything but a positive integer is
 * refused before the operation runs.
 */
export function requestTimeoutMs(header: string | null, limitMs: number): number {
  if (header === null) return limitMs;
  const raw = header.trim();
  if (!DIGITS.test(raw)) throw new BadUserInputError(TIMEOUT_HEADER, 'expected a positive integer of milliseconds');
  const ms = Number(raw);
  if (ms < 1) throw new BadUserInputError(TIMEOUT_HEADER, 'expected a positive integer of milliseconds');
  return Math.min(ms, limitMs);
}
