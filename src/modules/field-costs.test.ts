import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { MAX_CLAIM_STATEMENTS } from '../repository/email-lookup.js';
import { gatewayModules } from './gateway-schema.js';
import { estimateStatements, STATEMENTS_PER_MUTATION, type EstimateOptions } from '../graphql/limits/estimate-statements.js';

// What the built-in modules (users, orders) declare their fields cost.
const builtin = gatewayModules().fieldCosts;
const withBuiltins = (options: EstimateOptions = {}): EstimateOptions => ({ fieldCosts: builtin, ...options });
const estimate = (query: string, variables?: Record<string, unknown>, operationName?: string, shards = 3) =>
  estimateStatements(parse(query), operationName, variables, shards, withBuiltins());

describe('estimateStatements', () => {
  it('users: one per shard per alias, and as many again with totalCount (in fragments too)', () => {
    expect(estimate('{ users { edges { cursor } } }').statements).toBe(3);
    expect(estimate('{ users { totalCount } }').statements).toBe(6);
    expect(estimate('{ a: users { totalCount } b: users(first: 1) { pageInfo { hasNextPage } } }').statements).toBe(9);
    expect(estimate('{ users { ...F } } fragment F on UserConnection { totalCount }').statements).toBe(6);
    expect(estimate('{ users { totalCount } }', undefined, undefined, 16).statements).toBe(32);
  });

  it('the same response key twice is one resolver call', () => {
    expect(estimate('{ users { totalCount } users { edges { cursor } } }').statements).toBe(6);
  });

  it('every aliased count selection costs its statements: each alias runs its own count', () => {
    const counts = (n: number, field: string) => Array.from({ length: n }, (_, i) => `c${i}: ${field}`).join(' ');
    expect(estimate(`{ shards { ${counts(21, 'userCount')} } }`).statements).toBe(63);
    expect(estimate(`{ users(first: 1) { ${counts(10, 'totalCount')} } }`).statements).toBe(33);
    expect(estimate('{ shards { userCount ... on Shard { again: userCount } } }').statements).toBe(6);
    expect(estimate('{ users { totalCount ...F } } fragment F on UserConnection { t2: totalCount }').statements).toBe(9);
    // One response key merged from several selections is still one resolver call.
    expect(estimate('{ shards { userCount userCount ... on Shard { userCount } } }').statements).toBe(3);
    expect(estimate('query($s: Boolean!) { shards { a: userCount b: userCount @skip(if: $s) } }', { s: true }).statements).toBe(3);
  });

  it('shards costs a statement per shard only with userCount', () => {
    expect(estimate('{ shards { id nodes { address } } }').statements).toBe(0);
    expect(estimate('{ shards { userCount } x: shards { ... on Shard { userCount } } }').statements).toBe(6);
  });

  it('id lookups batch per consistency: at most one per shard, never more than the ids', () => {
    expect(estimate('{ user(userId: "a") { userId } }').statements).toBe(1);
    expect(estimate('{ a: user(userId: "a") { userId } b: user(userId: "b") { userId } }').statements).toBe(2);
    expect(
      estimate('query($ids: [ID!]!) { a: usersByIds(userIds: $ids) { userId } b: usersByIds(userIds: $ids) { userId } }', {
        ids: ['1', '2', '3', '4'],
      }).statements,
    ).toBe(3);
    expect(estimate('{ a: user(userId: "a") { userId } b: user(userId: "b", consistency: STRONG) { userId } }').statements).toBe(2);
    expect(
      estimate(
        'query($c: ReadConsistency) { a: usersByIds(userIds: ["1","2","3"]) { userId } b: usersByIds(userIds: ["4","5","6"], consistency: $c) { userId } }',
        { c: 'STRONG' },
      ).statements,
    ).toBe(6);
    expect(estimate('{ usersByIds(userIds: []) { userId } }').statements).toBe(0);
  });

  it('_entities: representations counted, lookups batched with EVENTUAL ones', () => {
    const q = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { userId } } user(userId: "x") { userId } }';
    expect(estimate(q, { r: Array.from({ length: 10 }, (_, i) => ({ __typename: 'User', userId: `${i}` })) })).toEqual({
      statements: 3,
      representations: 10,
    });
    expect(estimate('{ _entities(representations: [{__typename: "User", userId: "1"}]) { __typename } }')).toEqual({
      statements: 1,
      representations: 1,
    });
  });

  it('user mutations count their email lookup writes; introspection and _service nothing', () => {
    expect(estimate('mutation { a: deleteUser(userId: "a") b: deleteUser(userId: "b") __typename }').statements).toBe(4);
    const create = 'mutation { createUser(input: {userId: "a", name: "A", email: "a@x.io"}) { userId } }';
    const update = 'mutation { updateUser(userId: "a", input: {email: "b@x.io"}) { userId } }';
    expect(estimate(create).statements).toBe(2);
    expect(estimate(update).statements).toBe(3);
    // Unique emails: a claim may meet a stale one (fence, owner's row, take-over) and try twice.
    expect(estimateStatements(parse(create), undefined, undefined, 3, withBuiltins({ uniqueEmails: true })).statements).toBe(
      MAX_CLAIM_STATEMENTS + 1,
    );
    expect(estimateStatements(parse(update), undefined, undefined, 3, withBuiltins({ uniqueEmails: true })).statements).toBe(
      MAX_CLAIM_STATEMENTS + 2,
    );
    expect(estimate('mutation { someOtherMutation }').statements).toBe(STATEMENTS_PER_MUTATION);
    expect(estimate('{ __typename _service { sdl } __schema { types { name } } }').statements).toBe(0);
  });

  it('usersByEmail: the lookup statement, and its owners at most one per shard (one when emails are unique)', () => {
    expect(estimate('{ usersByEmail(email: "a@x.io") { userId } }', undefined, undefined, 4).statements).toBe(5);
    expect(
      estimate('{ a: usersByEmail(email: "a@x.io") { userId } b: user(userId: "u") { userId } }', undefined, undefined, 4).statements,
    ).toBe(6);
    expect(
      estimateStatements(
        parse('{ usersByEmail(email: "a@x.io") { userId } }'),
        undefined,
        undefined,
        4,
        withBuiltins({ uniqueEmails: true }),
      ).statements,
    ).toBe(2);
  });

  it('skips what @skip/@include leave out, and picks the named operation', () => {
    expect(estimate('query($s: Boolean) { users @skip(if: $s) { totalCount } }', { s: true }).statements).toBe(0);
    expect(estimate('{ users @include(if: false) { totalCount } }').statements).toBe(0);
    expect(estimate('query A { users { totalCount } } query B { shards { id } }', undefined, 'B').statements).toBe(0);
    expect(estimate('query A { users { totalCount } } query B { shards { id } }').statements).toBe(0);
  });
});

describe('estimateStatements: fields added by modules', () => {
  const fieldCosts = {
    ...builtin,
    query: new Map([...builtin.query, ['notesPage', { perShard: 1, fixed: 1 }]]),
    mutation: new Map([...builtin.mutation, ['createNote', { fixed: 2 }]]),
    nested: new Map([...builtin.nested, ['notes', { perShard: 1 }]]),
  };
  const estimate = (query: string) => estimateStatements(parse(query), null, {}, 3, { fieldCosts }).statements;

  it('counts what each field declared, per selection, wherever it sits', () => {
    expect(estimate('{ user(userId: "a") { notes { id } } }')).toBe(1 + 3);
    expect(estimate('{ user(userId: "a") { a: notes { id } b: notes { id } } }')).toBe(1 + 6);
    expect(estimate('{ notesPage { id } }')).toBe(4);
    expect(estimate('mutation { createNote(userId: "a", body: "b") { id } }')).toBe(2);
    expect(estimate('mutation { createNote(userId: "a", body: "b") { id } x: createNote(userId: "a", body: "b") { id } }')).toBe(4);
  });

  it("a field no module declared a cost for counts nothing (the modules' assembly gives undeclared fields a default)", () => {
    expect(estimateStatements(parse('{ user(userId: "a") { notes { id } } }'), null, {}, 3, withBuiltins()).statements).toBe(1);
    // Without any declared cost only mutations cost (one each).
    expect(estimateStatements(parse('{ user(userId: "a") { notes { id } } }'), null, {}, 3).statements).toBe(0);
    expect(estimateStatements(parse('mutation { createUser(input: {}) { userId } }'), null, {}, 3).statements).toBe(
      STATEMENTS_PER_MUTATION,
    );
  });
});
