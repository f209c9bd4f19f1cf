import { GraphQLError, Kind } from 'graphql';
import { builder } from '../builder.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/;

/** ISO 8601 in UTC with milliseconds, e.g. 2026-11-23T21:07:00.123Z. */
export const DateTime = builder.scalarType('DateTime', {
  description: 'ISO 8601, UTC, e.g. 2026-11-23T21:07:00.123Z',
  serialize: (value) => value,
  parseValue: (value) => {
    if (typeof value !== 'string' || !ISO.test(value) || Number.isNaN(Date.parse(value))) {
      throw new GraphQLError('DateTime must be an ISO 8601 UTC string such as 2026-11-23T21:07:00.123Z');
    }
    return value;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || !ISO.test(ast.value) || Number.isNaN(Date.parse(ast.value))) {
      throw new GraphQLError('DateTime must be an ISO 8601 UTC string such as 2026-11-23T21:07:00.123Z');
    }
    return ast.value;
  },
});
