/** What one load round sends (bench → run-load child). */
export interface LoadSpec {
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /** GraphQL request bodies (JSON), cycled through by every connection. */
  readonly bodies: readonly string[];
  /**
   * When set, each request replaces every `__SEQ__` in its body with
   * `<uniquePrefix>-<n>`, n counting up: unique ids for createUser.
   */
  readonly uniquePrefix?: string;
}

/** What the run-load child reports (run-load → bench). */
export interface LoadResult {
  /** 2xx responses. */
  readonly requests: number;
  readonly durationSeconds: number;
  /** 2xx responses per second over the whole round. */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

export const SEQ_PLACEHOLDER = '__SEQ__';
