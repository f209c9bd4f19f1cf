import type { Logger } from 'pino';
import type { BadUserInputError } from '../graphql/errors.js';

/** Kinds remembered at most; beyond, the oldest windows are forgotten (a flood of new kinds still logs at most this many lines per window). */
const MAX_KINDS = 64;

/**
 * Logs requests refused for the client's own mistake (a bad
 * `shardgate-timeout-ms` or consistency-token header) at info level, without
 * a stack, and at most one line per kind (the field) per window: the first
 * of a window is logged with how many of its kind the previous windows
 * suppressed. A client sending a bad header in a loop must not fill the
 * server's logs, nor page anyone: it is not the server's error.
 */
export class RefusalLog {
  readonly #windows = new Map<string, { until: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  note(err: BadUserInputError): void {
    const t = this.now();
    const kind = err.field;
    const window = this.#windows.get(kind);
    if (window && t < window.until) {
      window.suppressed += 1;
      return;
    }
    const suppressed = window?.suppressed ?? 0;
    this.#windows.delete(kind);
    if (this.#windows.size >= MAX_KINDS) this.#windows.delete(this.#windows.keys().next().value!);
    this.#windows.set(kind, { until: t + this.windowMs, suppressed: 0 });
    this.logger.info(
      { code: err.code, field: err.field, suppressed, windowMs: this.windowMs },
      `request refused: ${err.message}${suppressed > 0 ? ` (${suppressed} more like it not logged)` : ''}`,
    );
  }
}
