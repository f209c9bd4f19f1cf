import { printSubgraphSchema } from '@apollo/subgraph';
import { lexicographicSortSchema, type GraphQLSchema } from 'graphql';
import { builder } from '../builder.js';
import { checkEntityTypenames } from './check-entity-typenames.js';
import './root-types.js';
import './date-time.js';
import './read-consistency.js';
import './page-info.js';
import './user-ref.js';
import './shard.js';

let schema: GraphQLSchema | undefined;

/**
 * The executable schema of what the builder holds: an Apollo Federation v2
 * subgraph (`_service`, `_entities`, and the entities the modules declare). Built
 * once per process, by the modules' assembly (src/modules/gateway-schema.ts),
 * after every module, the built-in ones included, has added its types.
 */
export function buildGatewaySchema(): GraphQLSchema {
  if (!schema) {
    schema = builder.toSubGraphSchema({ linkUrl: 'https://specs.apollo.dev/federation/v2.6' });
    checkEntityTypenames(schema);
  }
  return schema;
}

/** Whether buildGatewaySchema() has run (after which nothing can be added to the builder). */
export function schemaIsBuilt(): boolean {
  return schema !== undefined;
}

/** The SDL of `schema` as committed in schema/schema.graphql: sorted, federation directives included. */
export function printSchemaSdl(schema: GraphQLSchema): string {
  return `${printSubgraphSchema(lexicographicSortSchema(schema)).trim()}\n`;
}
