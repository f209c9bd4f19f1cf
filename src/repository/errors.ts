/**
 * Domain errors: few classes, stable codes. The GraphQL edge turns `code`
 * into `extensions.code`; anything that is not a DomainError is masked.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
}

/**
 * Whether a failed statement reached a node: `not-sent` (no connection could
 * be made, or the connection was found broken before the statement could be
 * written to it), `read-only` (a standby refused it, SQLSTATE 25006: nothing
 * was written), `unknown` (the connection broke after it was sent: it may
 * have been applied). Only the first two may be retried elsewhere.
 */
export type Delivery = 'not-sent' | 'read-only' | 'unknown';

/** No node of the shard that the operation needs could serve it (down, refusing, or too slow). */
export class ShardUnavailableError extends DomainError {
  override readonly name = 'ShardUnavailableError';
  readonly code = 'SHARD_UNAVAILABLE';
  /** `SPLIT_BRAIN` when two nodes of the shard claim to be primary; shown to clients as `extensions.reason`. */
  readonly reason: 'SPLIT_BRAIN' | null;
  /** Set when a statement was attempted on a node; null when none was (no node to send it to). */
  readonly delivery: Delivery | null;
  constructor(
    readonly shardId: number,
    /** What the last node tried said (for logs, never for clients). */
    readonly detail: string,
    options?: { cause?: unknown; reason?: 'SPLIT_BRAIN'; delivery?: Delivery },
  ) {
    super(`shard ${shardId} is unavailable`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = options?.reason ?? null;
    this.delivery = options?.delivery ?? null;
  }
}

/**
 * The shard did not answer before the request's deadline. Not a sign that
 * the node is down (the client may have asked for very little time), so it
 * ejects nothing; the statement is cancelled on the server.
 */
export class ShardTimeoutError extends DomainError {
  override readonly name = 'ShardTimeoutError';
  readonly code = 'SHARD_TIMEOUT';
  constructor(
    readonly shardId: number,
    /** What was being waited for (for logs, never for clients). */
    readonly detail: string,
  ) {
    super(`shard ${shardId} did not answer in time`);
  }
}

export class UserAlreadyExistsError extends DomainError {
  override readonly name = 'UserAlreadyExistsError';
  readonly code = 'USER_ALREADY_EXISTS';
  constructor(readonly userId: string) {
    super(`a user with userId ${JSON.stringify(userId)} already exists`);
  }
}

export class UserNotFoundError extends DomainError {
  override readonly name = 'UserNotFoundError';
  readonly code = 'USER_NOT_FOUND';
  constructor(readonly userId: string) {
    super(`no user with userId ${JSON.stringify(userId)}`);
  }
}

/** Unique emails are on and another user holds this email (compared case-insensitively). */
export class EmailAlreadyExistsError extends DomainError {
  override readonly name = 'EmailAlreadyExistsError';
  readonly code = 'EMAIL_ALREADY_EXISTS';
  constructor(
    /** The argument that carried the email, e.g. `input.email`. */
    readonly field: string,
  ) {
    super(`${field}: another user already has this email`);
  }
}

/**
 * A statement that PostgreSQL refused for a reason the repository did not
 * map (a bug, or a schema that is not migrated). Carries the SQLSTATE for
 * logs and spans; masked at the GraphQL edge.
 */
export class SqlError extends Error {
  override readonly name = 'SqlError';
  constructor(
    readonly sqlState: string,
    readonly statementName: string,
    options?: { cause?: unknown },
  ) {
    super(`statement ${statementName} failed with SQLSTATE ${sqlState}`, options);
  }
}

/**
 * Too many statements already wait for a connection of the node the
 * operation needs: refused at once (load shedding), or it waited longer than
 * a connection wait may last. Pressure, not failure: the node is not
 * reported unhealthy.
 */
export class ShardOverloadedError extends DomainError {
  override readonly name = 'ShardOverloadedError';
  readonly code = 'SHARD_OVERLOADED';
  constructor(
    readonly shardId: number,
    /** What happened (for logs, never for clients). */
    readonly detail: string,
  ) {
    super(`shard ${shardId} is overloaded`);
  }
}

/** Which limit an operation went over. */
export type OperationLimit = 'depth' | 'aliases' | 'tokens' | 'statements' | 'representations';

/** An operation over one of the request limits: refused before it runs, or stopped at the door once it sends too many statements. */
export class OperationTooComplexError extends DomainError {
  override readonly name = 'OperationTooComplexError';
  readonly code = 'OPERATION_TOO_COMPLEX';
  constructor(
    readonly limit: OperationLimit,
    readonly max: number,
    message: string,
  ) {
    super(message);
  }
}
