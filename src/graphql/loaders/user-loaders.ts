import DataLoader from 'dataloader';
import type { User } from '../../repository/user.js';
import type { UserRepository } from '../../repository/user-repository.js';
import { readPolicyFor, type ReadConsistency, type ReadPolicy } from '../../sharding/read-policy.js';
import type { ShardManager } from '../../sharding/shard-manager.js';
import { keysOn } from '../../sharding/shard-route.js';
import type { PendingReads } from './pending-reads.js';

/**
 * Per-request user loaders, one per consistency (EVENTUAL reads replicas,
 * STRONG the primaries, so they are never mixed in one batch). Every lookup
 * by id in a request — `user`, `usersByIds`, `_entities`, any number of
 * aliases — lands in one batch, which sends one `= ANY($1)` statement per
 * shard touched, all shards at once.
 *
 * Built from the request's context, never shared between requests: a shared
 * cache would serve one client's stale read to another.
 */
export class UserLoaders {
  private readonly loaders = new Map<ReadConsistency, DataLoader<string, User | null>>();

  constructor(
    private readonly users: UserRepository,
    private readonly manager: ShardManager,
    /** Users read from primaries are added here, so that their orders are read from primaries too. */
    private readonly strongReads?: WeakSet<object>,
    /** Where batches are tracked, so that nested batches (a user's orders) wait for the users still coming. */
    private readonly pending?: PendingReads,
  ) {}

  for(consistency: ReadConsistency): DataLoader<string, User | null> {
    let loader = this.loaders.get(consistency);
    if (!loader) {
      const load = batchLoadUsers(this.users, this.manager, readPolicyFor(consistency));
      const strong = consistency === 'STRONG' ? this.strongReads : undefined;
      const pending = this.pending;
      loader = new DataLoader(async (keys: readonly string[]) => {
        const users = await (pending ? pending.track(load(keys)) : load(keys));
        if (strong) for (const user of users) if (user && !(user instanceof Error)) strong.add(user);
        return users;
      });
      this.loaders.set(consistency, loader);
    }
    return loader;
  }

  /**
   * Gives the loader of `consistency` a user (or its absence: null) that
   * another statement of this request already read with that consistency, so
   * that loading it sends nothing. A key already loaded keeps its value.
   */
  prime(consistency: ReadConsistency, userId: string, user: User | null): void {
    this.for(consistency).prime(userId, user);
    if (user && consistency === 'STRONG') this.strongReads?.add(user);
  }
}

/**
 * The batch function: results in key order, null for ids that do not
 * exist, and the shard's error for ids on a shard that could not answer (so
 * the other shards' users still resolve).
 */
export function batchLoadUsers(users: UserRepository, manager: ShardManager, policy: ReadPolicy) {
  return async (keys: readonly string[]): Promise<(User | null | Error)[]> => {
    const route = manager.routeKeys(keys);
    const results = await manager.scatter.settled(route, (shardId) => users.getManyOnShard(shardId, keysOn(route, shardId), policy));
    const found = new Map<string, User>();
    const failed = new Map<number, Error>();
    for (const result of results) {
      if (result.ok) for (const user of result.value) found.set(user.userId, user);
      else failed.set(result.shardId, result.error instanceof Error ? result.error : new Error(String(result.error)));
    }
    return keys.map((key) => {
      const user = found.get(key);
      if (user) return user;
      if (failed.size > 0) {
        const error = failed.get(manager.shardIdOf(key));
        if (error) return error;
      }
      return null;
    });
  };
}
