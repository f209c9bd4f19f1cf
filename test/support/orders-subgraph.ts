import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';

export interface Order {
  id: string;
  total: number;
  /** The shardgate user this order references; may not exist there. */
  userId: string;
}

/**
 * A second subgraph, the way a team owning orders would write it: `Order`
 * is its entity, `User` is shardgate's, referenced by key only
 * (`resolvable: false`), so the gateway asks shardgate's `_entities` for
 * every field of a user beyond `userId`. `user` is nullable because the
 * referenced user may be gone.
 */
export const ORDERS_SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])

type Order @key(fields: "id") {
  id: ID!
  total: Float!
  user: User
}

type User @key(fields: "userId", resolvable: false) {
  userId: ID!
}

type Query {
  orders: [Order!]!
}
`;

/** The orders subgraph as a yoga fetch/Node handler at `/graphql`, serving `orders`. */
export function createOrdersSubgraph(orders: readonly Order[]) {
  const byId = new Map(orders.map((o) => [o.id, o]));
  const schema = buildSubgraphSchema({
    typeDefs: parse(ORDERS_SDL),
    resolvers: {
      Query: { orders: () => orders },
      Order: {
        __resolveReference: (ref: { id: string }) => byId.get(ref.id) ?? null,
        user: (order: Order) => ({ __typename: 'User', userId: order.userId }),
      },
    },
  });
  return createYoga({ schema, graphqlEndpoint: '/graphql', graphiql: false, landingPage: false, logging: false });
}
