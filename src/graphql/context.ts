import type { RequestScope } from '../repository/request-scope.js';
import type { ShardDoor } from '../repository/shard-door.js';
import type { UserRepository } from '../repository/user-repository.js';
import type { ShardManager } from '../sharding/shard-manager.js';
import { PendingReads } from './loaders/pending-reads.js';
import { RequestLoaders } from './loaders/shard-batch-loader.js';
import { UserLoaders } from './loaders/user-loaders.js';
import { PartialErrors } from './partial-errors.js';

/** What every resolver sees. Built fresh for each request. */
export interface GatewayContext {
  readonly requestId: string;
  /** What this request carries down to every statement: statement budget, deadline, consistency token. */
  readonly scope: RequestScope;
  /** Hands `scope` to every statement. */
  readonly users: UserRepository;
  readonly manager: ShardManager;
  readonly loaders: UserLoaders;
  /** Errors of fields that answered anyway (a partial page's missing shards), appended to the result. */
  readonly partial: PartialErrors;
  /** The request's other per-shard batch loaders (the modules'), by kind and arguments. */
  readonly batches: RequestLoaders;
  /** Objects read from primaries (`STRONG`): what hangs off them is read from primaries too. */
  readonly strongReads: WeakSet<object>;
  /** The door for what users own, bound to this request (modules reach PostgreSQL through it). */
  readonly door: ShardDoor | null;
  /** Reads that may bring more parents for a nested batch: nested batches wait for them (see PendingReads). */
  readonly pending: PendingReads;
}

export function createGatewayContext(deps: {
  scope: RequestScope;
  users: UserRepository;
  manager: ShardManager;
  /** @default none: module fields that reach PostgreSQL fail */
  door?: ShardDoor;
}): GatewayContext {
  const { scope } = deps;
  const users = deps.users.forRequest(scope);
  const strongReads = new WeakSet<object>();
  const pending = new PendingReads();
  return {
    requestId: scope.requestId,
    scope,
    users,
    manager: deps.manager,
    loaders: new UserLoaders(users, deps.manager, strongReads, pending),
    batches: new RequestLoaders(),
    strongReads,
    door: deps.door ? deps.door.forRequest(scope) : null,
    pending,
    partial: new PartialErrors(),
  };
}
