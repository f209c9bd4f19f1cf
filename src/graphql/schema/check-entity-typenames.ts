import { isUnionType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { BadUserInputError } from '../errors.js';

/**
 * Wraps `_entities` so that a representation whose `__typename` is missing,
 * not a string, or not an entity of this subgraph (`_Entity`'s members) is
 * the client's mistake: that index is null with BAD_USER_INPUT naming
 * `representations[i].__typename`, and the others resolve as usual. Left to
 * @apollo/subgraph, an unknown type throws a plain Error (masked as an
 * internal error, logged with a stack) and a type that is no entity (`Shard`)
 * fails later with an error that has no code.
 */
export function checkEntityTypenames(schema: GraphQLSchema): void {
  const field = schema.getQueryType()?.getFields()._entities;
  const entity = schema.getType('_Entity');
  if (!field?.resolve || !entity || !isUnionType(entity)) return;
  const names = new Set(entity.getTypes().map((t) => t.name));
  const expected = [...names].sort().join(', ');
  const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve;
  field.resolve = (source, args: { representations?: unknown }, context, info) => {
    const representations = Array.isArray(args.representations) ? (args.representations as unknown[]) : [];
    const refused = representations.map((representation, i) => {
      const typename = (representation as { __typename?: unknown } | null)?.__typename;
      if (typeof typename === 'string' && names.has(typename)) return null;
      const why =
        typename === undefined ? 'is missing' : typeof typename !== 'string' ? 'must be a string' : `"${typename}" is not an entity here`;
      return new BadUserInputError(`representations[${i}].__typename`, `${why}; expected one of: ${expected}`);
    });
    if (refused.every((e) => e === null)) return resolve(source, args, context, info);
    const accepted = representations.filter((_, i) => refused[i] === null);
    const resolved = (accepted.length > 0 ? resolve(source, { ...args, representations: accepted }, context, info) : []) as unknown[];
    // An Error as a list item fails that index alone (graphql-js completes it as a field error).
    let next = 0;
    return representations.map((_, i) => refused[i] ?? resolved[next++]);
  };
}
