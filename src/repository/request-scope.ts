/**
 * What one GraphQL request carries down to every statement it causes,
 * created once per request and passed in QueryOptions.
 */
export interface RequestScope {
  /** Absolute deadline of the request (ms since the epoch, the Date.now clock): no statement or wait runs past it. */
  readonly deadline?: number;
}
