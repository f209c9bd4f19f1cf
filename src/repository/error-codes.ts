/**
 * Every `extensions.code` a client can receive, in one place: clients branch
 * on these strings, so they never change. The CLI's own codes (cluster,
 * reshard) are not GraphQL's and live with their commands.
 */
export const ErrorCode = {
  /** No node of the shard could serve (down, refusing, split brain). */
  SHARD_UNAVAILABLE: 'SHARD_UNAVAILABLE',
  /** The shard did not answer before the request's deadline. */
  SHARD_TIMEOUT: 'SHARD_TIMEOUT',
  /** Too many statements wait for the shard's connections: shed. */
  SHARD_OVERLOADED: 'SHARD_OVERLOADED',
  USER_ALREADY_EXISTS: 'USER_ALREADY_EXISTS',
  USER_NOT_FOUND: 'USER_NOT_FOUND',
  /** Unique emails are on and another user holds the email; `extensions.field` names the argument. */
  EMAIL_ALREADY_EXISTS: 'EMAIL_ALREADY_EXISTS',
  /** `updateOrderStatus` of an id that names no order. */
  ORDER_NOT_FOUND: 'ORDER_NOT_FOUND',
  /** A status change the order's stored status does not allow; nothing changed. */
  INVALID_STATUS_TRANSITION: 'INVALID_STATUS_TRANSITION',
  /** An operation over a request limit (depth, aliases, tokens, statements, representations). */
  OPERATION_TOO_COMPLEX: 'OPERATION_TOO_COMPLEX',
  /** An argument or variable that fails validation; `extensions.field` names it. */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  REQUEST_ENTITY_TOO_LARGE: 'REQUEST_ENTITY_TOO_LARGE',
  BAD_REQUEST: 'BAD_REQUEST',
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /** Anything unexpected, masked; `extensions.requestId` lets the client quote it. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
