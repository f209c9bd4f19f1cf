import { GraphQLError, type ASTNode } from 'graphql';
import type { OperationLimit } from '../../repository/errors.js';

/**
 * The client's view of an operation refused by a limit before it ran:
 * HTTP 400, `extensions.code` OPERATION_TOO_COMPLEX, which limit and its
 * maximum. (`extensions.http` sets the status; yoga strips it from the body.)
 */
export function tooComplexError(limit: OperationLimit, max: number, message: string, nodes?: readonly ASTNode[]): GraphQLError {
  return new GraphQLError(message, {
    ...(nodes ? { nodes } : {}),
    extensions: { code: 'OPERATION_TOO_COMPLEX', limit, max, http: { status: 400 } },
  });
}
