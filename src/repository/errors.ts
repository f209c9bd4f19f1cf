import { ErrorCode } from './error-codes.js';

/**
 * Domain errors: few classes, stable codes (error-codes.ts). The GraphQL edge
 * turns `code` into `extensions.code`; anything that is not a DomainError is masked.
 */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
}

/**
 * A shard could not serve the operation: clients get `extensions.shardId`
 * and a message that names the shard, never a node or what it said.
 */
export abstract class ShardError extends DomainError {
  constructor(
    readonly shardId: number,
    /** What happened (for logs, never for clients). */
    readonly detail: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }

  /** The message clients see. */
  abstract get clientMessage(): string;
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
export class ShardUnavailableError extends ShardError {
  override readonly name = 'ShardUnavailableError';
  readonly code = ErrorCode.SHARD_UNAVAILABLE;
  /** `SPLIT_BRAIN` when two nodes of the shard claim to be primary; shown to clients as `extensions.reason`. */
  readonly reason: 'SPLIT_BRAIN' | null;
  /** Set when a statement was attempted on a node; null when none was (no node to send it to). */
  readonly delivery: Delivery | null;
  constructor(
    shardId: number,
    /** What the last node tried said (for logs, never for clients). */
    detail: string,
    options?: { cause?: unknown; reason?: 'SPLIT_BRAIN'; delivery?: Delivery },
  ) {
    super(shardId, detail, `shard ${shardId} is unavailable`, options);
    this.reason = options?.reason ?? null;
    this.delivery = options?.delivery ?? null;
  }

  get clientMessage(): string {
    return `Shard ${this.shardId} is unavailable.`;
  }
}

/**
 * The shard did not answer before the request's deadline. Not a sign that
 * the node is down (the client may have asked for very little time), so it
 * ejects nothing; the statement is cancelled on the server.
 */
export class ShardTimeoutError extends ShardError {
  override readonly name = 'ShardTimeoutError';
  readonly code = ErrorCode.SHARD_TIMEOUT;
  constructor(
    shardId: number,
    /** What was being waited for (for logs, never for clients). */
    detail: string,
  ) {
    super(shardId, detail, `shard ${shardId} did not answer in time`);
  }

  get clientMessage(): string {
    return `Shard ${this.shardId} did not answer within the request's deadline.`;
  }
}

export class UserAlreadyExistsError extends DomainError {
  override readonly name = 'UserAlreadyExistsError';
  readonly code = ErrorCode.USER_ALREADY_EXISTS;
  constructor(readonly userId: string) {
    super(`a user with userId ${JSON.stringify(userId)} already exists`);
  }
}

export class UserNotFoundError extends DomainError {
  override readonly name = 'UserNotFoundError';
  readonly code = ErrorCode.USER_NOT_FOUND;
  constructor(readonly userId: string) {
    super(`no user with userId ${JSON.stringify(userId)}`);
  }
}

/** Unique emails are on and another user holds this email (compared case-insensitively). */
export class EmailAlreadyExistsError extends DomainError {
  override readonly name = 'EmailAlreadyExistsError';
  readonly code = ErrorCode.EMAIL_ALREADY_EXISTS;
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
export class ShardOverloadedError extends ShardError {
  override readonly name = 'ShardOverloadedError';
  readonly code = ErrorCode.SHARD_OVERLOADED;
  constructor(
    shardId: number,
    /** What happened (for logs, never for clients). */
    detail: string,
  ) {
    super(shardId, detail, `shard ${shardId} is overloaded`);
  }

  get clientMessage(): string {
    return `Shard ${this.shardId} is overloaded; retry later.`;
  }
}

/** Which limit an operation went over. */
export type OperationLimit = 'depth' | 'aliases' | 'tokens' | 'statements' | 'representations';

/** An operation over one of the request limits: refused before it runs, or stopped at the door once it sends too many statements. */
export class OperationTooComplexError extends DomainError {
  override readonly name = 'OperationTooComplexError';
  readonly code = ErrorCode.OPERATION_TOO_COMPLEX;
  constructor(
    readonly limit: OperationLimit,
    readonly max: number,
    message: string,
  ) {
    super(message);
  }
}
