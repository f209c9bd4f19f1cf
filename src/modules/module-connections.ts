import type { ConnectionPage, FieldPosition, ModuleApi, RequestContext, ScatterConnectionQuery } from './module-api.js';

/** The module API's `connection`: `<name>Edge` and `<name>Connection` over `node`, built with the module's own builder. */
export function defineConnection<T>(
  api: ModuleApi,
  name: string,
  node: Parameters<ModuleApi['connection']>[1],
  options: { totalCountDescription?: string } = {},
): ReturnType<ModuleApi['connection']> {
  const { builder } = api;
  const Edge = builder.objectRef<{ readonly cursor: string; readonly node: T }>(`${name}Edge`).implement({
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      node: t.field({ type: node as never, resolve: (edge) => edge.node as never }),
    }),
  });
  return builder.objectRef<ConnectionPage<T>>(`${name}Connection`).implement({
    fields: (t) => ({
      edges: t.field({ type: [Edge], resolve: (page) => [...page.edges] }),
      pageInfo: t.field({ type: api.PageInfo, resolve: (page) => page.pageInfo }),
      totalCount: t.int({
        description: options.totalCountDescription ?? 'computed only when asked for',
        resolve: async (page, _args, ctx, info) => {
          const { total, missing } = await page.totalCount();
          // The error belongs to the connection field, beside the page's own missing shards (one per shard).
          const parent = { ...info, path: info.path.prev! };
          for (const m of missing) api.missingShard(ctx, parent, m.shardId, m.error);
          return total;
        },
      }),
    }),
  }) as unknown as ReturnType<ModuleApi['connection']>;
}

/** The module API's `scatterConnection`: a page over every shard by keyset, as a `connection` answers it. */
export async function scatterConnection<T, K>(
  api: ModuleApi,
  ctx: RequestContext,
  info: FieldPosition,
  query: ScatterConnectionQuery<T, K>,
): Promise<ConnectionPage<T>> {
  const page = await api.scatterWalk(ctx, query);
  const edges = page.items.map((node, i) => ({
    node,
    cursor: page.uniform ? query.cursorOf(node) : query.positionsCursor(page.positionsAfter(i)),
  }));
  // What hangs off a row read from a primary is read from the primary too.
  if (query.strong) for (const edge of edges) api.markStrong(ctx, edge.node as object);
  for (const m of page.missing) api.missingShard(ctx, info, m.shardId, m.error);
  const count = (shardId: number) => query.count(shardId);
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      endCursor: edges.at(-1)?.cursor ?? (page.end ? query.positionsCursor(page.end) : null),
      missingShards: page.missing.map((m) => m.shardId),
    },
    totalCount: async () =>
      query.allowPartialResults ? api.scatterSumPartial(ctx, count) : { total: await api.scatterSum(ctx, count), missing: [] },
  };
}
