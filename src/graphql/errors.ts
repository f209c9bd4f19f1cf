import type { GraphQLError } from 'graphql';
import { ErrorCode } from '../repository/error-codes.js';
import { DomainError, EmailAlreadyExistsError, OperationTooComplexError, ShardError, ShardUnavailableError } from '../repository/errors.js';
import { rebuildGraphQLError } from './rebuild-graphql-error.js';

/** An argument that fails validation. Raised before any SQL is sent. */
export class BadUserInputError extends DomainError {
  override readonly name = 'BadUserInputError';
  readonly code = ErrorCode.BAD_USER_INPUT;
  constructor(
    /** The argument, e.g. `userId`, `input.email`, `after`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** The extensions of a BAD_USER_INPUT error: what clients branch on, whoever raised it. */
export function badUserInputExtensions(field: string): { code: typeof ErrorCode.BAD_USER_INPUT; field: string } {
  return { code: ErrorCode.BAD_USER_INPUT, field };
}

/**
 * The client-facing form of a domain error: a stable `extensions.code`, and
 * the one extra field each code promises (`field`, `shardId`); clients
 * branch on these, so they never change. `extra` adds transport hints
 * (`http`) that yoga strips from the body.
 */
export function domainErrorToGraphQL(err: DomainError, template: GraphQLError, extra: Record<string, unknown> = {}): GraphQLError {
  let extensions: Record<string, unknown> = { code: err.code };
  if (err instanceof BadUserInputError) extensions = badUserInputExtensions(err.field);
  if (err instanceof EmailAlreadyExistsError) extensions.field = err.field;
  if (err instanceof ShardError) extensions.shardId = err.shardId;
  if (err instanceof ShardUnavailableError && err.reason) extensions.reason = err.reason;
  if (err instanceof OperationTooComplexError) {
    extensions.limit = err.limit;
    extensions.max = err.max;
  }
  const message = err instanceof ShardError ? err.clientMessage : err.message;
  return rebuildGraphQLError(template, { message, extensions: { ...extensions, ...extra } });
}
