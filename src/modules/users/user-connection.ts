import type { ModuleApi, ModuleUser, ShardPositions, UserSortKey } from '../module-api.js';
import {
  compareUserKeys,
  decodeUsersAfter,
  encodeUserCursor,
  encodeUsersAfter,
  type UserCursorKit,
  type UserDirection,
} from './user-cursor.js';

/**
 * `UserOrder`, `UserConnection` and the root `users` page: every shard at
 * once by keyset (no OFFSET), merged. A shard that cannot answer fails the
 * page (SHARD_UNAVAILABLE), unless `allowPartialResults`: then the page
 * comes from the others, and its cursors keep the missing shards' positions.
 */
export function defineUserConnection(api: ModuleApi): void {
  const { builder } = api;
  const kit: UserCursorKit = { cursors: api.cursors, isStoredUserId: api.users.isStoredUserId };

  const UserOrderEnum = builder.enumType('UserOrder', {
    description: 'ties broken by userId',
    values: ['CREATED_AT_ASC', 'CREATED_AT_DESC'] as const,
  });

  const UserConnection = api.connection('User', api.User, {
    totalCountDescription: 'summed over all shards; computed only when asked for',
  });

  builder.queryFields((t) => ({
    users: t.field({
      type: UserConnection,
      description: 'all shards, merged',
      args: {
        first: t.arg.int({ defaultValue: 20 }),
        after: t.arg.string(),
        orderBy: t.arg({ type: UserOrderEnum, defaultValue: 'CREATED_AT_ASC' }),
        consistency: t.arg({ type: api.ReadConsistency, defaultValue: 'EVENTUAL' }),
        allowPartialResults: t.arg.boolean({
          defaultValue: false,
          description: 'when shards cannot answer: the page from the others, pageInfo.missingShards, one SHARD_UNAVAILABLE error each',
        }),
      },
      resolve: async (_root, args, ctx, info) => {
        const first = api.validPageSize('first', args.first ?? 20);
        const direction: UserDirection = (args.orderBy ?? 'CREATED_AT_ASC') === 'CREATED_AT_ASC' ? 'asc' : 'desc';
        let after: ShardPositions<UserSortKey> | null = null;
        if (args.after !== null && args.after !== undefined) {
          const cursor = decodeUsersAfter(args.after, api.shardCount(ctx), kit);
          if (!cursor) throw api.errors.badUserInput('after', 'not a cursor returned by this API');
          if (cursor.direction !== direction) {
            throw api.errors.badUserInput(
              'after',
              `this cursor belongs to orderBy ${cursor.direction === 'asc' ? 'CREATED_AT_ASC' : 'CREATED_AT_DESC'}`,
            );
          }
          after = cursor.positions;
        }
        const consistency = args.consistency ?? 'EVENTUAL';
        const order = compareUserKeys(kit);
        return api.scatterConnection<ModuleUser, UserSortKey>(ctx, info, {
          first,
          after,
          allowPartialResults: args.allowPartialResults ?? false,
          fetch: (shardId, from, limit) => api.users.pageOnShard(ctx, shardId, { after: from, direction, limit }, consistency),
          keyOf: (user) => user,
          compare: direction === 'asc' ? order : (a, b) => order(b, a),
          ownerOf: (user) => user.userId,
          cursorOf: (user) => encodeUserCursor({ direction, createdAt: user.createdAt, userId: user.userId }),
          positionsCursor: (positions) => encodeUsersAfter({ direction, positions }, kit),
          count: (shardId) => api.users.countOnShard(ctx, shardId, consistency),
          // What hangs off a user read from a primary (its orders) is read from the primary too.
          strong: consistency === 'STRONG',
        });
      },
    }),
  }));
}
