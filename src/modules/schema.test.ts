import { readFileSync } from 'node:fs';
import {
  buildSchema,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLObjectType,
  GraphQLScalarType,
  isIntrospectionType,
  lexicographicSortSchema,
  printType,
  type GraphQLNamedType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { gatewaySchema, printGatewaySchema } from './gateway-schema.js';

const FEDERATION_TYPES = new Set([
  '_Any',
  '_Entity',
  '_Service',
  'link__Import',
  'link__Purpose',
  'federation__FieldSet',
  'federation__Scope',
  'federation__Policy',
]);

/** A type's shape without descriptions: fields, arguments with defaults, input fields, enum values. */
function shape(type: GraphQLNamedType): string {
  const bare =
    type instanceof GraphQLObjectType
      ? new GraphQLObjectType({
          ...type.toConfig(),
          description: undefined,
          fields: () => strip(type.toConfig().fields),
          interfaces: [],
          astNode: undefined,
          extensions: {},
        })
      : type instanceof GraphQLInputObjectType
        ? new GraphQLInputObjectType({
            ...type.toConfig(),
            description: undefined,
            fields: () => strip(type.toConfig().fields),
            astNode: undefined,
          })
        : type instanceof GraphQLEnumType
          ? new GraphQLEnumType({
              ...type.toConfig(),
              description: undefined,
              values: Object.fromEntries(Object.entries(type.toConfig().values).map(([k, v]) => [k, { value: v.value }])),
            })
          : type instanceof GraphQLScalarType
            ? new GraphQLScalarType({ name: type.name })
            : type;
  return printType(bare);
}
function strip<T extends Record<string, { description?: unknown; args?: Record<string, { description?: unknown }> }>>(fields: T): T {
  return Object.fromEntries(
    Object.entries(fields).map(([name, f]) => [
      name,
      {
        ...f,
        description: undefined,
        astNode: undefined,
        ...(f.args
          ? { args: Object.fromEntries(Object.entries(f.args).map(([a, c]) => [a, { ...c, description: undefined, astNode: undefined }])) }
          : {}),
      },
    ]),
  ) as unknown as T;
}

describe('schema', () => {
  it('schema/schema.graphql is the printed schema of the code (run `npm run schema` after changing types)', () => {
    expect(readFileSync('schema/schema.graphql', 'utf8')).toBe(printGatewaySchema());
  });

  it('serves exactly the public SDL of test/fixtures/contract-schema.graphql (types, fields, arguments, defaults, nullability)', () => {
    const contractSdl = readFileSync('test/fixtures/contract-schema.graphql', 'utf8');
    const contract = lexicographicSortSchema(
      buildSchema(`directive @key(fields: String!) repeatable on OBJECT | INTERFACE\n${contractSdl}`),
    );
    // Field order is not part of the contract; compare both sorted.
    const ours = lexicographicSortSchema(gatewaySchema());
    const names = (s: typeof ours) =>
      Object.keys(s.getTypeMap())
        .filter(
          (n) =>
            !isIntrospectionType(s.getType(n)!) && !FEDERATION_TYPES.has(n) && !['String', 'Int', 'Float', 'Boolean', 'ID'].includes(n),
        )
        .sort();
    expect(names(ours)).toEqual(names(contract));
    for (const name of names(contract)) {
      let ourShape = shape(ours.getType(name)!);
      // Federation adds these to Query; the contract lists them in prose.
      if (name === 'Query')
        ourShape = ourShape.replace(/\n  _entities\(representations: \[_Any!\]!\): \[_Entity\]!|\n  _service: _Service!/g, '');
      expect(ourShape, name).toBe(shape(contract.getType(name)!));
    }
  });

  it('is a Federation v2 subgraph with User keyed by userId', () => {
    const sdl = printGatewaySchema();
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])');
    expect(sdl).toMatch(/type User\s+@key\(fields: "userId"\)/);
    expect(gatewaySchema().getQueryType()!.getFields()).toHaveProperty('_entities');
  });
});
