import type { RequestScope } from '../repository/request-scope.js';
import type { UserRepository } from '../repository/user-repository.js';
import type { ShardManager } from '../sharding/shard-manager.js';
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
}

export function createGatewayContext(deps: { scope: RequestScope; users: UserRepository; manager: ShardManager }): GatewayContext {
  const { scope } = deps;
  const users = deps.users.forRequest(scope);
  return {
    requestId: scope.requestId,
    scope,
    users,
    manager: deps.manager,
    loaders: new UserLoaders(users, deps.manager),
    partial: new PartialErrors(),
  };
}
