import type { RequestOptions } from '../config/request-options.js';
import { BadUserInputError } from '../graphql/errors.js';
import { deadlineAfter } from '../repository/deadline.js';
import { createRequestScope, type RequestScope } from '../repository/request-scope.js';
import { ConsistencySession } from '../sharding/consistency-session.js';
import { decodeToken, InvalidTokenError } from '../sharding/consistency-token.js';
import { maxStalenessMs, STALENESS_HEADER } from './max-staleness-header.js';
import { requestTimeoutMs, TIMEOUT_HEADER } from './request-timeout-header.js';

export const TOKEN_HEADER = 'shardgate-consistency-token';

/**
 * The scope of one request: its statement budget, and from its headers its
 * deadline (the gateway's limit, or less when `shardgate-timeout-ms` asks)
 * its read-your-writes session (the positions of
 * `shardgate-consistency-token`, if sent) and its staleness bound
 * (`shardgate-max-staleness-ms`). A bad header throws
 * BadUserInputError naming it, before anything runs.
 */
export function requestScopeFromHeaders(
  headers: Headers,
  requestId: string,
  options: { readonly request: RequestOptions; readonly maxStatements: number },
  shardCount: number,
  now: number,
): RequestScope {
  const timeoutMs = requestTimeoutMs(headers.get(TIMEOUT_HEADER), options.request.timeoutMs);
  const staleness = maxStalenessMs(headers.get(STALENESS_HEADER));
  const raw = headers.get(TOKEN_HEADER);
  let carried: ReturnType<typeof decodeToken> = [];
  if (raw !== null) {
    try {
      carried = decodeToken(raw.trim(), shardCount);
    } catch (err) {
      if (err instanceof InvalidTokenError) throw new BadUserInputError(TOKEN_HEADER, `not a valid consistency token (${err.message})`);
      throw err;
    }
  }
  return createRequestScope(requestId, options.maxStatements, {
    deadline: deadlineAfter(now, timeoutMs),
    consistency: new ConsistencySession(carried, options.request.consistencyWaitMs),
    ...(staleness === null ? {} : { maxStalenessMs: staleness }),
  });
}
