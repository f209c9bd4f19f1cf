import type { User } from '../../repository/user.js';
import { builder } from '../builder.js';
import { BadUserInputError } from '../errors.js';
import { fetchUsersPage, type UsersPage } from '../pagination/fetch-users-page.js';
import { decodeUserCursor } from '../pagination/user-cursor.js';
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

export const PageInfo = builder.objectRef<{ hasNextPage: boolean; endCursor: string | null }>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

const UserConnection = builder.objectRef<UsersPage>('UserConnection').implement({
  fields: (t) => ({
    edges: t.field({ type: [UserEdge], resolve: (page) => page.edges }),
    pageInfo: t.field({ type: PageInfo, resolve: (page) => page.pageInfo }),
    totalCount: t.int({
      description: 'summed over all shards; computed only when asked for',
      resolve: (page) => page.totalCount(),
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
    },
    resolve: (_root, args, ctx) => {
      const first = validPageSize('first', args.first ?? 20);
      const direction = (args.orderBy ?? 'CREATED_AT_ASC') === 'CREATED_AT_ASC' ? 'asc' : 'desc';
      let after = null;
      if (args.after !== null && args.after !== undefined) {
        const cursor = decodeUserCursor(args.after);
        if (!cursor) throw new BadUserInputError('after', 'not a cursor returned by this API');
        if (cursor.direction !== direction) {
          throw new BadUserInputError(
            'after',
            `this cursor belongs to orderBy ${cursor.direction === 'asc' ? 'CREATED_AT_ASC' : 'CREATED_AT_DESC'}`,
          );
        }
        after = cursor;
      }
      const consistency = args.consistency ?? 'EVENTUAL';
      return ctx.pending.track(
        fetchUsersPage(ctx, { first, after, direction, consistency }).then((page) => {
          // What hangs off a user read from a primary (its orders) is read from the primary too.
          if (consistency === 'STRONG') for (const edge of page.edges) ctx.strongReads.add(edge.node);
          return page;
        }),
      );
    },
  }),
}));
