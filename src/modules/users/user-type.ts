import type { ModuleApi, ModuleUser } from '../module-api.js';

/** The ISO 8601 instant with milliseconds that the DateTime scalar shows, of a stored timestamp (microseconds). */
function toIso(createdAt: string): string {
  return `${createdAt.slice(0, 23)}Z`;
}

/** `User`'s own fields, `User` as a federation entity, and the lookups by id: `user` and `usersByIds`. */
export function defineUserType(api: ModuleApi): void {
  const { builder } = api;

  builder.objectType(api.User, {
    fields: (t) => ({
      userId: t.exposeID('userId'),
      name: t.exposeString('name'),
      email: t.exposeString('email'),
      createdAt: t.field({ type: api.DateTime, resolve: (user) => toIso(user.createdAt) }),
      shardId: t.exposeInt('shardId', { description: 'the shard that stores this user' }),
    }),
  });

  // A Federation v2 entity: other subgraphs reference users by userId, and
  // `_entities` resolves them through the same per-shard batch as `user`.
  // Async so that a bad representation fails alone (its index is null with an
  // error): @apollo/subgraph calls resolveReference inside one
  // `representations.map`, where a synchronous throw would fail the whole list.
  builder.asEntity(api.User, {
    key: builder.selection<{ userId: string }>('userId'),
    resolveReference: async (ref, ctx) => api.users.load(ctx, referencedUserId(api, ref.userId)),
  });

  builder.queryFields((t) => ({
    user: t.field({
      type: api.User,
      nullable: true,
      args: {
        userId: t.arg.id({ required: true }),
        consistency: t.arg({ type: api.ReadConsistency, defaultValue: 'EVENTUAL' }),
      },
      resolve: (_root, args, ctx) => api.users.load(ctx, api.validUserId('userId', args.userId), args.consistency ?? 'EVENTUAL'),
    }),
    usersByIds: t.field({
      type: [api.User],
      nullable: { list: false, items: true },
      description: 'same order as asked, null where missing',
      args: {
        userIds: t.arg.idList({ required: true }),
        consistency: t.arg({ type: api.ReadConsistency, defaultValue: 'EVENTUAL' }),
      },
      // A shard that cannot answer turns only its users into errors (null
      // with an error at that index); the other shards' users are returned.
      resolve: (_root, args, ctx) =>
        api.users.loadMany(ctx, api.users.validUserIds('userIds', args.userIds), args.consistency ?? 'EVENTUAL') as Promise<
          (ModuleUser | null)[]
        >,
    }),
  }));
}

/** A representation is `_Any`: its userId may be missing or of any type. ID accepts strings and integers. */
function referencedUserId(api: ModuleApi, userId: unknown): string {
  const field = 'representations.userId';
  if (typeof userId === 'number' && Number.isInteger(userId)) return String(userId);
  if (typeof userId !== 'string') throw api.errors.badUserInput(field, 'must be an ID');
  return api.validUserId(field, userId);
}
