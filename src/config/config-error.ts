/**
 * A topology or option that cannot be used. The message is meant for a
 * person: one line per problem, each starting with the path of the bad field,
 * e.g. `shards[1].primary.port: expected an integer`. The CLI prints it
 * without a stack trace.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    /** One entry per problem found. */
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
  }
}
