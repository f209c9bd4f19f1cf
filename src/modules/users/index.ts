import type { ShardgateModule } from '../module-api.js';
import { defineUserConnection } from './user-connection.js';
import { defineUserMutations } from './user-mutations.js';
import { defineUserType } from './user-type.js';
import { defineUsersByEmail } from './users-by-email.js';

/** The name of the request's user batch in cost declarations: every lookup of users by id joins it. */
const USERS_BY_ID = 'users-by-id';

/**
 * Users, a built-in module on the public module API: `User` (its fields, and
 * as a federation entity), `user`, `usersByIds`, `users`, `usersByEmail`,
 * `Shard.userCount`, `createUser`, `updateUser`, `deleteUser`. It is applied
 * first, always, so `User` exists for every other module to extend.
 *
 * Users are the shard key's owners: their table and the email lookup belong
 * to shardgate's own migration chain, and `shardgate reshard` moves each
 * user as the root of its group, so the module declares no table or
 * migration. It reaches users through the API's `users`, like any module.
 */
const users: ShardgateModule = {
  name: 'users',
  schema(api) {
    defineUserType(api);
    defineUserConnection(api);
    defineUsersByEmail(api);
    defineUserMutations(api);
    api.builder.objectFields(api.Shard, (t) => ({
      userCount: t.int({
        // Each shard's count runs as its own resolver, so the shards are counted in parallel.
        resolve: (shard, _args, ctx) => api.users.countOnShard(ctx, shard.id, 'EVENTUAL'),
      }),
    }));

    // What each field costs in statements at most, for the statement limit.
    const lookup = { batch: USERS_BY_ID };
    api.cost('Query.user', { lookup });
    api.cost('Query.usersByIds', { lookup: { ...lookup, ids: 'userIds' } });
    api.entityCost('User', { lookup });
    // Each selection of `totalCount` (each alias) asks every shard again: nothing shares their counts.
    api.cost('Query.users', { perShard: 1, perSelectionOf: { totalCount: { perShard: 1 } } });
    api.cost('Shard.userCount', { perShard: 1 });
    // The lookup statement, then the owners' batch, which loads after the lookup answers (it may not
    // join the request's other lookups): one statement per shard at most, one with unique emails.
    api.cost('Query.usersByEmail', { fixed: 1, perShard: 1, withUniqueEmails: { fixed: 2 } });
    // The email claim on the lookup shard, then the users row; an update also releases the old claim.
    api.cost('Mutation.createUser', { fixed: 1, emailClaims: 1 });
    api.cost('Mutation.updateUser', { fixed: 2, emailClaims: 1 });
    api.cost('Mutation.deleteUser', { fixed: 2 });
  },
};

export default users;
