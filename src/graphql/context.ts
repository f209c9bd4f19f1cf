import type { UserRepository } from '../repository/user-repository.js';
import type { ShardManager } from '../sharding/shard-manager.js';
import { UserLoaders } from './loaders/user-loaders.js';

/** What every resolver sees. Built fresh for each request. */
export interface GatewayContext {
  readonly requestId: string;
  readonly users: UserRepository;
  readonly manager: ShardManager;
  readonly loaders: UserLoaders;
}

export function createGatewayContext(deps: {
  requestId: string;
  users: UserRepository;
  manager: ShardManager;
}): GatewayContext {
  return {
    requestId: deps.requestId,
    users: deps.users,
    manager: deps.manager,
    loaders: new UserLoaders(deps.users, deps.manager),
  };
}
