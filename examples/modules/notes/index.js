// The example module: notes, a table stored with its user, and its GraphQL
// types. Plain JavaScript with no run-time import of shardgate: everything
// arrives as `api` (the type-only import below lets an editor check it).
// Load it with `shardgate migrate --module examples/modules/notes/index.js`
// and `shardgate serve --module examples/modules/notes/index.js`.

/** @typedef {import('shardgate/module').ShardgateModule} ShardgateModule */
/** @typedef {import('shardgate/module').ModuleApi} ModuleApi */
/** @typedef {{ id: string, userId: string, body: string, createdAt: string }} Note */

const MAX_BODY = 2000;
const MAX_FIRST = 100;

/** The columns every statement returns, createdAt as the gateway's DateTime (ISO 8601, UTC). */
const COLUMNS = `note_id::text AS id, user_id AS "userId", body,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt"`;

/** @type {ShardgateModule} */
export default {
  name: 'notes',

  migrations: [
    {
      id: '001_notes',
      sql: [
        `CREATE TABLE notes (
           note_id     UUID         NOT NULL DEFAULT gen_random_uuid(),
           user_id     VARCHAR(255) NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
           body        TEXT         NOT NULL,
           created_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
           PRIMARY KEY (user_id, note_id)
         )`,
        'CREATE INDEX ix_notes_user_created ON notes (user_id, created_at DESC, note_id DESC)',
      ],
    },
  ],

  // Resharding moves each user's notes with the user.
  tables: [{ table: 'notes', ownerColumn: 'user_id' }],

  /** @param {ModuleApi} api */
  schema(api) {
    const { builder } = api;

    // A user's newest notes, for every user of the batch at once: one statement per shard.
    const notesOfUsers = api.statement(
      'of_users',
      `SELECT n.* FROM unnest($1::varchar[]) AS u(user_id)
       CROSS JOIN LATERAL (
         SELECT ${COLUMNS} FROM notes WHERE notes.user_id = u.user_id
         ORDER BY created_at DESC, note_id DESC LIMIT $2
       ) AS n`,
    );
    // The foreign key refuses a note whose user does not exist (SQLSTATE 23503).
    const insertNote = api.statement('insert', `INSERT INTO notes (user_id, body) VALUES ($1, $2) RETURNING ${COLUMNS}`);

    /** @type {import('shardgate/module').ModuleObjectRef<Note>} */
    const NoteRef = builder.objectRef('Note');
    NoteRef.implement({
      fields: (t) => ({
        id: t.exposeID('id'),
        userId: t.exposeID('userId'),
        body: t.exposeString('body'),
        createdAt: t.field({ type: api.DateTime, resolve: (note) => note.createdAt }),
      }),
    });

    builder.objectFields(api.User, (t) => ({
      notes: t.field({
        type: [NoteRef],
        description: 'newest first; one statement per shard touched per request',
        args: { first: t.arg.int({ defaultValue: 20 }) },
        resolve: (user, args, ctx) => {
          const first = args.first ?? 20;
          if (!Number.isInteger(first) || first < 0 || first > MAX_FIRST) {
            throw api.errors.badUserInput('first', `must be between 0 and ${MAX_FIRST}`);
          }
          const consistency = api.consistencyOf(ctx, user);
          // One loader per set of arguments: every user asking the same page shares its batch.
          return api
            .batch(ctx, `of-users:${first}:${consistency}`, {
              missing: [],
              load: async (shardId, userIds) => {
                const { rows } = await api.db(ctx).read(shardId, notesOfUsers, [userIds, first], { consistency });
                /** @type {Map<string, Note[]>} */
                const byUser = new Map();
                for (const note of /** @type {Note[]} */ (rows)) {
                  const list = byUser.get(note.userId);
                  if (list) list.push(note);
                  else byUser.set(note.userId, [note]);
                }
                return byUser;
              },
            })
            .load(user.userId);
        },
      }),
    }));
    api.cost('User.notes', { perShard: 1 });

    builder.mutationFields((t) => ({
      createNote: t.field({
        type: NoteRef,
        args: { userId: t.arg.id({ required: true }), body: t.arg.string({ required: true }) },
        resolve: async (_root, args, ctx) => {
          const userId = api.validUserId('userId', args.userId);
          const length = [...args.body].length;
          if (length < 1 || length > MAX_BODY) throw api.errors.badUserInput('body', `must be 1 to ${MAX_BODY} characters, got ${length}`);
          try {
            const { rows } = await api.db(ctx).write(userId, insertNote, [userId, args.body]);
            return /** @type {Note} */ (rows[0]);
          } catch (err) {
            if (api.errors.isForeignKeyViolation(err)) throw api.errors.userNotFound(userId);
            throw err;
          }
        },
      }),
    }));
    api.cost('Mutation.createNote', { fixed: 1 });
  },
};
