/**
 * Why a cluster operation failed, as a stable code the CLI and the test
 * support can branch on (the test support retries `PORT_IN_USE` on other
 * ports). The message is one line meant for a person: the CLI prints it
 * without a stack trace.
 */
export type ClusterErrorCode =
  | 'MISSING_BINARIES'
  | 'BAD_SPEC'
  | 'LAYOUT_MISMATCH'
  | 'NOT_A_CLUSTER'
  | 'PORT_IN_USE'
  | 'ROLE_CONFLICT'
  | 'NOT_READY'
  | 'PERMISSION'
  | 'COMMAND_FAILED'
  | 'TIMEOUT';

export class ClusterError extends Error {
  override readonly name = 'ClusterError';
  constructor(
    readonly code: ClusterErrorCode,
    message: string,
  ) {
    super(message);
  }
}
