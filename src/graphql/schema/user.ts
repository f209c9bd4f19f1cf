import type { User } from '../../repository/user.js';
import { timestampToIso } from '../../repository/timestamp.js';
import { builder } from '../builder.js';
import { BadUserInputError } from '../errors.js';
import { validUserId, validUserIds } from '../validate-input.js';
import { DateTime } from './date-time.js';
import { ReadConsistencyEnum } from './read-consistency.js';

export const UserRef = builder.objectRef<User>('User');

UserRef.implement({
  fields: (t) => ({
    userId: t.exposeID('userId'),
    name: t.exposeString('name'),
    email: t.exposeString('email'),
    createdAt: t.field({ type: DateTime, resolve: (user) => timestampToIso(user.createdAt) }),
    shardId: t.exposeInt('shardId', { description: 'the shard that stores this user' }),
  }),
});

// A Federation v2 entity: other subgraphs reference users by userId, and
// `_entities` resolves them through the same per-shard loader as `user`.
// Async so that a bad representation fails alone (its index is null with an
// error): @apollo/subgraph calls resolveReference inside one
// `representations.map`, where a synchronous throw would fail the whole list.
builder.asEntity(UserRef, {
  key: builder.selection<{ userId: string }>('userId'),
  resolveReference: async (ref, ctx) => ctx.loaders.for('EVENTUAL').load(referencedUserId(ref.userId)),
});

/** A representation is `_Any`: its userId may be missing or of any type. ID accepts strings and integers. */
function referencedUserId(userId: unknown): string {
  const field = 'representations.userId';
  if (typeof userId === 'number' && Number.isInteger(userId)) return String(userId);
  if (typeof userId !== 'string') throw new BadUserInputError(field, 'must be an ID');
  return validUserId(field, userId);
}

builder.queryFields((t) => ({
  user: t.field({
    type: UserRef,
    nullable: true,
    args: {
      userId: t.arg.id({ required: true }),
      consistency: t.arg({ type: ReadConsistencyEnum, defaultValue: 'EVENTUAL' }),
    },
    resolve: (_root, args, ctx) => ctx.loaders.for(args.consistency ?? 'EVENTUAL').load(validUserId('userId', args.userId)),
  }),
  usersByIds: t.field({
    type: [UserRef],
    nullable: { list: false, items: true },
    description: 'same order as asked, null where missing',
    args: {
      userIds: t.arg.idList({ required: true }),
      consistency: t.arg({ type: ReadConsistencyEnum, defaultValue: 'EVENTUAL' }),
    },
    // A shard that cannot answer turns only its users into errors (null
    // with an error at that index); the other shards' users are returned.
    resolve: (_root, args, ctx) =>
      ctx.loaders.for(args.consistency ?? 'EVENTUAL').loadMany(validUserIds('userIds', args.userIds)) as Promise<(User | null)[]>,
  }),
}));
