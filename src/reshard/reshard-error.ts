/** A reshard that cannot go on: the message is for the operator, printed as is (exit code 1). */
export class ReshardError extends Error {
  override readonly name = 'ReshardError';
}
