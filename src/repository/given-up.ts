import type { NodeTarget } from '../sharding/node-target.js';
import { ShardUnavailableError, type Delivery } from './errors.js';
import type { StatementAbandoned } from './within-deadline.js';

/*
 * Statements the gateway gave up on itself (a hedged read whose other copy
 * answered first, a read whose node missed a probe), and connections whose
 * statement was cancelled: what the door needs to remember about them
 * between the place that gives up and the place that releases.
 */

const abandoned = new WeakSet<Error>();
const reclaims = new WeakMap<Error, Promise<boolean>>();

/** The error of a statement the gateway gave up on: not a failure of the node (nothing is reported), outcome `cancelled`. */
export function abandonedError(target: NodeTarget, err: StatementAbandoned, delivery: Delivery): ShardUnavailableError {
  const failure = new ShardUnavailableError(target.node.shardId, `${target.node.id}: ${err.message}`, { cause: err, delivery });
  abandoned.add(failure);
  return failure;
}

export function isAbandoned(err: unknown): boolean {
  return err instanceof Error && abandoned.has(err);
}

/** Remembers that the connection behind `err` still holds a cancelled statement: `fit` says whether it may go back to the pool. */
export function leaveInFlight(err: Error, fit: Promise<boolean>): void {
  reclaims.set(err, fit);
}

/** Whether the connection behind `err` comes back fit, once its cancelled statement settled; undefined when nothing was left in flight. */
export function inFlightOf(err: unknown): Promise<boolean> | undefined {
  return err instanceof Error ? reclaims.get(err) : undefined;
}
