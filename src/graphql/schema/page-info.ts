import { builder } from '../builder.js';

/** The `PageInfo` of every connection over the shards (users, orders, a module's). */
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
