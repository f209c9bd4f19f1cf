import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { estimateStatements } from '../../graphql/limits/estimate-statements.js';
import { gatewayModules } from '../gateway-schema.js';

// The costs the orders module declares (api.cost, api.entityCost), as the gateway applies them.
const estimate = (query: string, variables?: Record<string, unknown>, operationName?: string, shards = 3) =>
  estimateStatements(parse(query), operationName, variables, shards, { fieldCosts: gatewayModules().fieldCosts });

describe('estimateStatements for orders', () => {
  it('root orders: one per shard, and as many again per totalCount', () => {
    expect(estimate('{ orders { edges { cursor } } }').statements).toBe(3);
    expect(estimate('{ orders(status: PAID) { totalCount } }').statements).toBe(6);
  });

  it('User.orders: one per shard per selection wherever it sits, plus one per shard per totalCount; orderCount one per shard', () => {
    expect(estimate('{ user(userId: "a") { orders { edges { cursor } } } }').statements).toBe(1 + 3);
    expect(estimate('{ usersByIds(userIds: ["a", "b"]) { orderCount orders(first: 5) { totalCount } } }').statements).toBe(2 + 3 + 6);
    expect(estimate('{ users { edges { node { orders { edges { cursor } } } } } }').statements).toBe(3 + 3);
    expect(estimate('{ users { edges { node { ...F } } } } fragment F on User { orders { totalCount } }').statements).toBe(3 + 6);
  });

  it('30 aliased usersByIds { orders } selections go over the default 64', () => {
    const selections = Array.from({ length: 30 }, (_, i) => `u${i}: usersByIds(userIds: ["a"]) { orders(first: 5) { edges { cursor } } }`);
    expect(estimate(`{ ${selections.join(' ')} }`).statements).toBeGreaterThan(64);
  });

  it('order lookups by id are a batch of their own per consistency; Order.user one per shard', () => {
    expect(estimate('{ order(id: "x") { id } }').statements).toBe(1);
    expect(estimate('{ a: order(id: "x") { id } b: ordersByIds(ids: ["y", "z", "w", "v"]) { id } }').statements).toBe(3);
    expect(estimate('{ order(id: "x") { user { name } } user(userId: "a") { name } }').statements).toBe(1 + 3 + 1);
  });

  it('_entities: users and orders counted by __typename, both when it cannot be read', () => {
    expect(
      estimate('query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', {
        r: [{ __typename: 'Order', id: 'x' }, { __typename: 'Order', id: 'y' }, { __typename: 'Order', id: 'z' }, { id: 'w' }],
      }).statements,
    ).toBe(3 + 1);
    const q = 'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }';
    expect(
      estimate(q, {
        r: [
          { __typename: 'User', userId: 'a' },
          { __typename: 'User', userId: 'b' },
        ],
      }).statements,
    ).toBe(2);
    expect(
      estimate(q, {
        r: [
          { __typename: 'User', userId: 'a' },
          { __typename: 'Order', id: 'x' },
        ],
      }).statements,
    ).toBe(2);
    expect(estimate('{ _entities(representations: [{ __typename: "Order", id: "x" }]) { __typename } }').statements).toBe(1);
  });

  it('a mutation costs its write and what its result reads', () => {
    expect(estimate('mutation { createOrder(input: { userId: "a", totalCents: 1, currency: "EUR" }) { id } }').statements).toBe(1);
    expect(estimate('mutation { createOrder(input: { userId: "a", totalCents: 1, currency: "EUR" }) { user { name } } }').statements).toBe(
      4,
    );
  });
});
