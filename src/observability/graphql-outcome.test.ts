import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { graphqlOutcome } from './graphql-outcome.js';

describe('graphqlOutcome', () => {
  it('ok without errors; error once execution ran (data present, even null); invalid when refused before', () => {
    expect(graphqlOutcome({ data: { a: 1 } })).toBe('ok');
    expect(graphqlOutcome({ data: { a: null }, errors: [new GraphQLError('x')] })).toBe('error');
    expect(graphqlOutcome({ data: null, errors: [new GraphQLError('x')] })).toBe('error');
    expect(graphqlOutcome({ errors: [new GraphQLError('Syntax Error')] })).toBe('invalid');
  });

  it('a stream counts as ok when it starts', () => {
    expect(graphqlOutcome((async function* () {})())).toBe('ok');
  });
});
