import type { ConsistencySession } from '../sharding/consistency-session.js';
import type { Deadline } from './deadline.js';

/**
 * What one GraphQL request carries down to every statement it causes,
 * created once per request (with the GraphQL context) and passed to the
 * repository's door in QueryOptions. Paths that are not requests
 * (migrations, seeding) pass none and get no deadline.
 */
export interface RequestScope {
  /** Absolute deadline of the request (ms on the door's clock): no statement or wait runs past it. */
  readonly deadline?: Deadline;
  /** Read-your-writes: positions to honour on reads, positions of writes to hand back. */
  readonly consistency?: ConsistencySession;
}
