import { DEFAULT_OPERATION_LIMITS } from '../config/request-safety-options.js';
import { createRequestScope, type RequestScope } from '../repository/request-scope.js';
import type { UserRepository } from '../repository/user-repository.js';
import type { ShardManager } from '../sharding/shard-manager.js';
import { UserLoaders } from './loaders/user-loaders.js';

/** What every resolver sees. Built fresh for each request. */
export interface GatewayContext {
  readonly requestId: string;
  /** What this request carries down to every statement (its statement budget). */
  readonly scope: RequestScope;
  /** Charges every statement to `scope`. */
  readonly users: UserRepository;
  readonly manager: ShardManager;
  readonly loaders: UserLoaders;
}

export function createGatewayContext(deps: {
  requestId: string;
  users: UserRepository;
  manager: ShardManager;
  /** @default 64 */
  maxStatements?: number;
}): GatewayContext {
  const scope = createRequestScope(deps.requestId, deps.maxStatements ?? DEFAULT_OPERATION_LIMITS.maxStatements);
  const users = deps.users.forRequest(scope);
  return {
    requestId: deps.requestId,
    scope,
    users,
    manager: deps.manager,
    loaders: new UserLoaders(users, deps.manager),
  };
}
