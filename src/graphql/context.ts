import type { UserRepository } from '../repository/user-repository.js';
import type { ShardManager } from '../sharding/shard-manager.js';
import { UserLoaders } from './loaders/user-loaders.js';

/** Counters the GraphQL layer reports (the metrics plugin implements them). */
export interface GatewayHooks {
  /** A query that had to ask every shard (scatter-gather). */
  crossShardQuery(field: string): void;
}

export const NO_HOOKS: GatewayHooks = { crossShardQuery: () => {} };

/** What every resolver sees. Built fresh for each request. */
export interface GatewayContext {
  readonly requestId: string;
  readonly users: UserRepository;
  readonly manager: ShardManager;
  readonly loaders: UserLoaders;
  readonly hooks: GatewayHooks;
}

export function createGatewayContext(deps: {
  requestId: string;
  users: UserRepository;
  manager: ShardManager;
  hooks?: GatewayHooks;
}): GatewayContext {
  return {
    requestId: deps.requestId,
    users: deps.users,
    manager: deps.manager,
    loaders: new UserLoaders(deps.users, () => deps.manager.shardCount),
    hooks: deps.hooks ?? NO_HOOKS,
  };
}
