/*
 * The smallest useful module: a table of tags owned by users, `User.tags`
 * (one statement per shard for every user of a request), `addTag`, and what
 * both cost. Two commands put it to work:
 *
 *   npx shardgate migrate --config topology.json --module examples/modules/tags/index.js
 *   npx shardgate serve   --config topology.json --module examples/modules/tags/index.js
 */
/** @type {import('shardgate/module').ShardgateModule} */
export default {
  name: 'tags',
  migrations: [
    {
      id: '001_tags',
      sql: `CREATE TABLE tags (
              user_id VARCHAR(255) NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
              tag     TEXT NOT NULL,
              PRIMARY KEY (user_id, tag))`,
    },
  ],
  tables: [{ table: 'tags', ownerColumn: 'user_id' }],
  schema(api) {
    const ofUsers = api.statement('of_users', 'SELECT user_id, tag FROM tags WHERE user_id = ANY($1::varchar[]) ORDER BY tag');
    const add = api.statement('add', 'INSERT INTO tags (user_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING');
    api.builder.objectFields(api.User, (t) => ({
      tags: t.stringList({
        // One statement per shard for every user of the request.
        resolve: (user, _args, ctx) =>
          api
            .batch(ctx, 'tags', {
              missing: [],
              load: async (shardId, userIds) => {
                const { rows } = await api.db(ctx).read(shardId, ofUsers, [userIds], { consistency: api.consistencyOf(ctx, user) });
                /** @type {Map<string, string[]>} */
                const byUser = new Map(userIds.map((id) => [id, []]));
                for (const row of /** @type {{ user_id: string, tag: string }[]} */ (rows)) byUser.get(row.user_id)?.push(row.tag);
                return byUser;
              },
            })
            .load(user.userId),
      }),
    }));
    api.builder.mutationFields((t) => ({
      addTag: t.boolean({
        args: { userId: t.arg.id({ required: true }), tag: t.arg.string({ required: true }) },
        resolve: async (_root, args, ctx) => {
          const userId = api.validUserId('userId', args.userId);
          if (args.tag.length === 0 || args.tag.length > 50) throw api.errors.badUserInput('tag', 'must be 1 to 50 characters');
          try {
            return (await api.db(ctx).write(userId, add, [userId, args.tag])).rowCount === 1;
          } catch (err) {
            if (api.errors.isForeignKeyViolation(err)) throw api.errors.userNotFound(userId);
            throw err;
          }
        },
      }),
    }));
    api.cost('User.tags', { perShard: 1 });
    api.cost('Mutation.addTag', { fixed: 1 });
  },
};
