import type { SortKey, User } from '../../repository/user.js';
import type { ShardPositions } from '../pagination/shard-positions.js';
import { builder } from '../builder.js';
import { BadUserInputError } from '../errors.js';
import { fetchUsersPage, type UsersPage } from '../pagination/fetch-users-page.js';
import { decodeUsersAfter } from '../pagination/user-cursor.js';
import { validPageSize } from '../validate-input.js';
import { ReadConsistencyEnum } from './read-consistency.js';
import { UserRef } from './user.js';

export const UserOrderEnum = builder.enumType('UserOrder', {
  description: 'ties broken by userId',
  values: ['CREATED_AT_ASC', 'CREATED_AT_DESC'] as const,
});

const UserEdge = builder.objectRef<{ cursor: string; node: User }>('UserEdge').implement({
  fields: (t) => ({
    cursor: t.exposeString('cursor'),
    node: t.field({ type: UserRef, resolve: (edge) => edge.node }),
  }),
});

export const PageInfo = builder
  .objectRef<{ hasNextPage: boolean; endCursor: string | null; missingShards?: readonly number[] }>('PageInfo')
  .implement({
    fields: (t) => ({
      hasNextPage: t.exposeBoolean('hasNextPage'),
      endCursor: t.exposeString('endCursor', { nullable: true }),
      missingShards: t.intList({
        description: 'shards that could not answer this page (allowPartialResults); empty otherwise',
        resolve: (page) => [...(page.missingShards ?? [])],
      }),
    }),
  });

const UserConnection = builder.objectRef<UsersPage>('UserConnection').implement({
  fields: (t) => ({
    edges: t.field({ type: [UserEdge], resolve: (page) => page.edges }),
    pageInfo: t.field({ type: PageInfo, resolve: (page) => page.pageInfo }),
    totalCount: t.int({
      description: 'summed over all shards; computed only when asked for',
      resolve: async (page, _args, ctx, info) => {
        const { total, missing } = await page.totalCount();
        // The error belongs to the connection field, beside the page's own missing shards (one per shard).
        const parent = { ...info, path: info.path.prev! };
        for (const m of missing) ctx.partial.missingShard(parent, m.shardId, m.error);
        return total;
      },
    }),
  }),
});

builder.queryFields((t) => ({
  users: t.field({
    type: UserConnection,
    description: 'all shards, merged',
    args: {
      first: t.arg.int({ defaultValue: 20 }),
      after: t.arg.string(),
      orderBy: t.arg({ type: UserOrderEnum, defaultValue: 'CREATED_AT_ASC' }),
      consistency: t.arg({ type: ReadConsistencyEnum, defaultValue: 'EVENTUAL' }),
      allowPartialResults: t.arg.boolean({
        defaultValue: false,
        description: 'when shards cannot answer: the page from the others, pageInfo.missingShards, one SHARD_UNAVAILABLE error each',
      }),
    },
    resolve: async (_root, args, ctx, info) => {
      const first = validPageSize('first', args.first ?? 20);
      const direction = (args.orderBy ?? 'CREATED_AT_ASC') === 'CREATED_AT_ASC' ? 'asc' : 'desc';
      let after: ShardPositions<SortKey> | null = null;
      if (args.after !== null && args.after !== undefined) {
        const cursor = decodeUsersAfter(args.after, ctx.manager.shardCount);
        if (!cursor) throw new BadUserInputError('after', 'not a cursor returned by this API');
        if (cursor.direction !== direction) {
          throw new BadUserInputError(
            'after',
            `this cursor belongs to orderBy ${cursor.direction === 'asc' ? 'CREATED_AT_ASC' : 'CREATED_AT_DESC'}`,
          );
        }
        after = cursor.positions;
      }
      const consistency = args.consistency ?? 'EVENTUAL';
      const allowPartial = args.allowPartialResults ?? false;
      return ctx.pending.track(
        fetchUsersPage(ctx, { first, after, direction, consistency, allowPartial }).then((page) => {
          for (const m of page.missing) ctx.partial.missingShard(info, m.shardId, m.error);
          // What hangs off a user read from a primary (its orders) is read from the primary too.
          if (consistency === 'STRONG') for (const edge of page.edges) ctx.strongReads.add(edge.node);
          return page;
        }),
      );
    },
  }),
}));
