import type { MissingShard, ModuleApi, ModuleUser, ReadConsistency, RequestContext, ShardPositions, UserSortKey } from '../module-api.js';
import {
  compareUserKeys,
  decodeUsersAfter,
  encodeUserCursor,
  encodeUsersAfter,
  type UserCursorKit,
  type UserDirection,
} from './user-cursor.js';

export interface UsersPage {
  readonly edges: { cursor: string; node: ModuleUser }[];
  readonly pageInfo: { hasNextPage: boolean; endCursor: string | null; missingShards: number[] };
  /** Per-shard counts in parallel; only run when the field is selected. With partial results, the shards that answered and the ones that did not. */
  totalCount(): Promise<{ total: number; missing: readonly MissingShard[] }>;
}

/** `UserOrder`, `UserConnection` and the root `users` page. */
export function defineUserConnection(api: ModuleApi): void {
  const { builder } = api;
  const kit: UserCursorKit = { cursors: api.cursors, isStoredUserId: api.users.isStoredUserId };

  const UserOrderEnum = builder.enumType('UserOrder', {
    description: 'ties broken by userId',
    values: ['CREATED_AT_ASC', 'CREATED_AT_DESC'] as const,
  });

  const UserEdge = builder.objectRef<{ cursor: string; node: ModuleUser }>('UserEdge').implement({
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      node: t.field({ type: api.User, resolve: (edge) => edge.node }),
    }),
  });

  const UserConnection = builder.objectRef<UsersPage>('UserConnection').implement({
    fields: (t) => ({
      edges: t.field({ type: [UserEdge], resolve: (page) => page.edges }),
      pageInfo: t.field({ type: api.PageInfo, resolve: (page) => page.pageInfo }),
      totalCount: t.int({
        description: 'summed over all shards; computed only when asked for',
        resolve: async (page, _args, ctx, info) => {
          const { total, missing } = await page.totalCount();
          // The error belongs to the connection field, beside the page's own missing shards (one per shard).
          const parent = { ...info, path: info.path.prev! };
          for (const m of missing) api.missingShard(ctx, parent, m.shardId, m.error);
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
        const allowPartial = args.allowPartialResults ?? false;
        const page = await fetchUsersPage(api, kit, ctx, { first, after, direction, consistency, allowPartial });
        for (const m of page.missing) api.missingShard(ctx, info, m.shardId, m.error);
        return page;
      },
    }),
  }));
}

/**
 * One page of `users` over every shard, by keyset (the module API's
 * scatterWalk): no OFFSET, all shards at once, merged. A shard that cannot
 * answer fails the whole page (SHARD_UNAVAILABLE), unless `allowPartial`:
 * then the page comes from the others, and its cursors keep the missing
 * shards' positions.
 */
async function fetchUsersPage(
  api: ModuleApi,
  kit: UserCursorKit,
  ctx: RequestContext,
  args: {
    first: number;
    after: ShardPositions<UserSortKey> | null;
    direction: UserDirection;
    consistency: ReadConsistency;
    allowPartial: boolean;
  },
): Promise<UsersPage & { missing: readonly MissingShard[] }> {
  const { direction, consistency, allowPartial } = args;
  const order = compareUserKeys(kit);
  const page = await api.scatterWalk<ModuleUser, UserSortKey>(ctx, {
    first: args.first,
    after: args.after,
    allowPartialResults: allowPartial,
    fetch: (shardId, after, limit) => api.users.pageOnShard(ctx, shardId, { after, direction, limit }, consistency),
    keyOf: (user) => user,
    compare: direction === 'asc' ? order : (a, b) => order(b, a),
    ownerOf: (user) => user.userId,
  });
  const positionsCursor = (positions: ShardPositions<UserSortKey>) => encodeUsersAfter({ direction, positions }, kit);
  const edges = page.items.map((node, i) => ({
    node,
    cursor: page.uniform
      ? encodeUserCursor({ direction, createdAt: node.createdAt, userId: node.userId })
      : positionsCursor(page.positionsAfter(i)),
  }));
  // What hangs off a user read from a primary (its orders) is read from the primary too.
  if (consistency === 'STRONG') for (const edge of edges) api.markStrong(ctx, edge.node);
  const countOn = (shardId: number) => api.users.countOnShard(ctx, shardId, consistency);
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      endCursor: edges.at(-1)?.cursor ?? (page.end ? positionsCursor(page.end) : null),
      missingShards: page.missing.map((m) => m.shardId),
    },
    missing: page.missing,
    totalCount: async () =>
      allowPartial ? api.scatterSumPartial(ctx, countOn) : { total: await api.scatterSum(ctx, countOn), missing: [] },
  };
}
