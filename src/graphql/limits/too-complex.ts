import { GraphQLError, type ASTNode } from 'graphql';
import { OperationTooComplexError, type OperationLimit } from '../../repository/errors.js';
import { domainErrorToGraphQL } from '../errors.js';

/**
 * The client's view of an operation refused by a limit before it ran: the
 * same error as the statement budget's backstop (OperationTooComplexError:
 * `extensions.code` OPERATION_TOO_COMPLEX, which limit and its maximum),
 * answered with HTTP 400 (`extensions.http` sets the status; yoga strips it
 * from the body).
 */
export function tooComplexError(limit: OperationLimit, max: number, message: string, nodes?: readonly ASTNode[]): GraphQLError {
  return domainErrorToGraphQL(new OperationTooComplexError(limit, max, message), new GraphQLError(message, nodes ? { nodes } : {}), {
    http: { status: 400 },
  });
}
