import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';

export interface Review {
  id: string;
  stars: number;
  /** The shardgate user who wrote it; may not exist there. */
  userId: string;
  /** The shardgate order it is about, if any. */
  orderId?: string;
}

/**
 * A second subgraph, the way a team owning reviews would write it: `Review`
 * is its entity; `User` is shardgate's, referenced by key only
 * (`resolvable: false`), so the gateway asks shardgate's `_entities` for
 * every field of a user beyond `userId`; `Order` is shardgate's too, and
 * this subgraph extends it with `reviews` (the gateway sends it orders'
 * ids). `user` and `order` are nullable because what they reference may be gone.
 */
export const REVIEWS_SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])

type Review @key(fields: "id") {
  id: ID!
  stars: Float!
  user: User
  order: Order
}

type User @key(fields: "userId", resolvable: false) {
  userId: ID!
}

type Order @key(fields: "id") {
  id: ID!
  reviews: [Review!]!
}

type Query {
  reviews: [Review!]!
}
`;

/** The reviews subgraph as a yoga fetch/Node handler at `/graphql`, serving `reviews`; `orderReviews` are reached through `Order.reviews` only. */
export function createReviewsSubgraph(reviews: readonly Review[], orderReviews: readonly Review[] = []) {
  const all = [...reviews, ...orderReviews];
  const byId = new Map(all.map((r) => [r.id, r]));
  const schema = buildSubgraphSchema({
    typeDefs: parse(REVIEWS_SDL),
    resolvers: {
      Query: { reviews: () => reviews },
      Review: {
        __resolveReference: (ref: { id: string }) => byId.get(ref.id) ?? null,
        user: (review: Review) => ({ __typename: 'User', userId: review.userId }),
        order: (review: Review) => (review.orderId ? { __typename: 'Order', id: review.orderId } : null),
      },
      Order: {
        __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
        reviews: (order: { id: string }) => all.filter((r) => r.orderId === order.id),
      },
    },
  });
  return createYoga({ schema, graphqlEndpoint: '/graphql', graphiql: false, landingPage: false, logging: false });
}
