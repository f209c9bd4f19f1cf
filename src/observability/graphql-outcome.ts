import type { ExecutionResult } from 'graphql';

/** `ok`; `error`: it ran and some field failed; `invalid`: refused before running (syntax, validation, variables). */
export type GraphqlOutcome = 'ok' | 'error' | 'invalid';

/**
 * Per the GraphQL spec a response has a `data` entry once execution started,
 * and none when the request was refused before (yoga answers `{ errors }`).
 */
export function graphqlOutcome(result: ExecutionResult | AsyncIterable<unknown>): GraphqlOutcome {
  if (Symbol.asyncIterator in result) return 'ok';
  if (!result.errors?.length) return 'ok';
  return 'data' in result ? 'error' : 'invalid';
}
