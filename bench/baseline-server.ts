import DataLoader from 'dataloader';
import { createSchema, createYoga, type YogaServerInstance } from 'graphql-yoga';
import pg from 'pg';

/*
 * The baseline: what a user would write without shardgate — graphql-yoga
 * and one pg Pool over ONE unsharded PostgreSQL, the same schema shape for
 * the benchmarked queries, written the straightforward way: one query per
 * resolver, `= ANY($1)` for a list of ids, the same keyset SQL for pages,
 * `lower(email) = lower($1)` over an index on lower(email) for a lookup by
 * email. A user's orders go through a DataLoader per request, as a careful
 * hand-written server batches them: one statement for every user of the
 * request, the per-user limit applied inside it (a LATERAL join over the
 * (user_id, created_at, order_id) index). No other caches; prepared
 * statements only in the careful variant (BASELINE_PREPARED=1, see
 * countingDb).
 */

/** The pool, with a counter around it: every statement the baseline sends passes `query`. */
export interface CountingDb {
  query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>>;
  statements: number;
}

/**
 * `prepared`: the careful baseline. Every query is sent as
 * `pool.query({ name, text, values })`, a named statement that each
 * connection prepares once, so PostgreSQL parses it once per connection and
 * may keep its plan; the plain baseline sends unnamed statements, parsed and
 * planned at every execution.
 */
export function countingDb(pool: pg.Pool, prepared = false): CountingDb {
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (!name) names.set(text, (name = `baseline_${names.size + 1}`));
    return name;
  };
  const db: CountingDb = {
    statements: 0,
    query: <R extends pg.QueryResultRow>(text: string, values: unknown[]) => {
      db.statements++;
      return prepared ? pool.query<R>({ name: nameOf(text), text, values }) : pool.query<R>(text, values);
    },
  };
  return db;
}

// created_at stays text ('2026-11-23 21:07:00.123456+00' in a UTC session):
// a keyset cursor needs the microseconds a Date would drop.
pg.types.setTypeParser(1184, (value: string) => value);

const typeDefs = /* GraphQL */ `
  scalar DateTime

  type User {
    userId: ID!
    name: String!
    email: String!
    createdAt: DateTime!
    shardId: Int!
    orders(first: Int = 20): OrderConnection!
  }

  type Order {
    id: ID!
    userId: ID!
    status: String!
    totalCents: Int!
    currency: String!
    createdAt: DateTime!
  }

  type OrderEdge {
    cursor: String!
    node: Order!
  }

  type OrderConnection {
    edges: [OrderEdge!]!
    pageInfo: PageInfo!
  }

  type UserEdge {
    cursor: String!
    node: User!
  }

  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }

  type UserConnection {
    edges: [UserEdge!]!
    pageInfo: PageInfo!
  }

  type Query {
    user(userId: ID!): User
    usersByIds(userIds: [ID!]!): [User]!
    usersByEmail(email: String!): [User!]!
    users(first: Int = 20, after: String): UserConnection!
  }

  input CreateUserInput {
    userId: ID!
    name: String!
    email: String!
  }

  type Mutation {
    createUser(input: CreateUserInput!): User!
  }
`;

interface UserRow {
  user_id: string;
  name: string;
  email: string;
  created_at: string;
}

interface User {
  userId: string;
  name: string;
  email: string;
  createdAt: string;
  shardId: number;
}

interface OrderRow {
  order_id: string;
  user_id: string;
  status: string;
  total_cents: string;
  currency: string;
  created_at: string;
}

interface Order {
  id: string;
  userId: string;
  status: string;
  totalCents: number;
  currency: string;
  createdAt: string;
  cursor: string;
}

const COLUMNS = 'user_id, name, email, created_at';
const ORDER_COLUMNS = 'order_id, user_id, status, total_cents, currency, created_at';

/** Per request: a loader of users' orders per page size. */
type RequestContext = Record<string, unknown> & {
  ordersLoaders: Map<number, DataLoader<string, Order[]>>;
};

/**
 * Up to `first` + 1 newest orders of every user of the batch in one
 * statement (the extra row says whether there is a next page).
 */
function ordersLoader(db: CountingDb, first: number): DataLoader<string, Order[]> {
  return new DataLoader<string, Order[]>(async (userIds) => {
    const { rows } = await db.query<OrderRow>(
      `SELECT o.order_id, o.user_id, o.status, o.total_cents, o.currency, o.created_at
       FROM unnest($1::varchar[]) AS u(user_id)
       CROSS JOIN LATERAL (
         SELECT ${ORDER_COLUMNS} FROM orders WHERE orders.user_id = u.user_id
         ORDER BY created_at DESC, order_id COLLATE "C" DESC LIMIT $2
       ) AS o`,
      [userIds, first + 1],
    );
    const byUser = new Map<string, Order[]>(userIds.map((id) => [id, []]));
    for (const row of rows) byUser.get(row.user_id)?.push(toOrder(row));
    return userIds.map((id) => byUser.get(id)!);
  });
}

function toOrder(row: OrderRow): Order {
  return {
    id: Buffer.from(`${row.user_id}:${row.order_id}`).toString('base64url'),
    userId: row.user_id,
    status: row.status,
    totalCents: Number(row.total_cents),
    currency: row.currency,
    createdAt: new Date(`${row.created_at.replace(' ', 'T')}:00`).toISOString(),
    cursor: Buffer.from(`${row.created_at}|${row.order_id}`).toString('base64url'),
  };
}

function toUser(row: UserRow): User {
  return {
    userId: row.user_id,
    name: row.name,
    email: row.email,
    createdAt: new Date(`${row.created_at.replace(' ', 'T')}:00`).toISOString(),
    shardId: 0,
  };
}

function encodeCursor(row: UserRow): string {
  return Buffer.from(`${row.created_at}|${row.user_id}`).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  const text = Buffer.from(cursor, 'base64url').toString();
  const bar = text.indexOf('|');
  if (bar < 0) throw new Error('invalid cursor');
  return [text.slice(0, bar), text.slice(bar + 1)];
}

export function createBaselineYoga(db: CountingDb): YogaServerInstance<Record<string, unknown>, RequestContext> {
  return createYoga({
    context: (): RequestContext => ({ ordersLoaders: new Map() }),
    schema: createSchema<RequestContext>({
      typeDefs,
      resolvers: {
        User: {
          orders: async ({ userId }: User, { first }: { first: number }, ctx: RequestContext) => {
            if (first < 0 || first > 100) throw new Error('first must be between 0 and 100');
            let loader = ctx.ordersLoaders.get(first);
            if (!loader) ctx.ordersLoaders.set(first, (loader = ordersLoader(db, first)));
            const orders = await loader.load(userId);
            const edges = orders.slice(0, first).map((node) => ({ cursor: node.cursor, node }));
            return { edges, pageInfo: { hasNextPage: orders.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
          },
        },
        Query: {
          user: async (_: unknown, { userId }: { userId: string }) => {
            const { rows } = await db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE user_id = $1`, [userId]);
            return rows[0] ? toUser(rows[0]) : null;
          },
          usersByIds: async (_: unknown, { userIds }: { userIds: string[] }) => {
            const { rows } = await db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE user_id = ANY($1::varchar[])`, [userIds]);
            const byId = new Map(rows.map((r) => [r.user_id, toUser(r)]));
            return userIds.map((id) => byId.get(id) ?? null);
          },
          usersByEmail: async (_: unknown, { email }: { email: string }) => {
            const { rows } = await db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE lower(email) = lower($1) ORDER BY user_id`, [
              email,
            ]);
            return rows.map(toUser);
          },
          users: async (_: unknown, { first, after }: { first: number; after?: string | null }) => {
            if (first < 0 || first > 100) throw new Error('first must be between 0 and 100');
            const { rows } = after
              ? await db.query<UserRow>(
                  `SELECT ${COLUMNS} FROM users
                   WHERE (created_at, user_id COLLATE "C") > ($1::timestamptz, $2::varchar COLLATE "C")
                   ORDER BY created_at ASC, user_id COLLATE "C" ASC LIMIT $3`,
                  [...decodeCursor(after), first + 1],
                )
              : await db.query<UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY created_at ASC, user_id COLLATE "C" ASC LIMIT $1`, [
                  first + 1,
                ]);
            const page = rows.slice(0, first);
            const edges = page.map((row) => ({ cursor: encodeCursor(row), node: toUser(row) }));
            return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
          },
        },
        Mutation: {
          createUser: async (_: unknown, { input }: { input: { userId: string; name: string; email: string } }) => {
            const { rows } = await db.query<UserRow>(`INSERT INTO users (user_id, name, email) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`, [
              input.userId,
              input.name,
              input.email,
            ]);
            return toUser(rows[0]!);
          },
        },
      },
    }),
  });
}
