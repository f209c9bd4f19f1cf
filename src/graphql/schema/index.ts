import { printSubgraphSchema } from '@apollo/subgraph';
import { lexicographicSortSchema, type GraphQLSchema } from 'graphql';
import { builder } from '../builder.js';
import { checkEntityTypenames } from './check-entity-typenames.js';
import './root-types.js';
import './date-time.js';
import './read-consistency.js';
import './user.js';
import './user-connection.js';
import './user-mutations.js';
import './users-by-email.js';
import './shard.js';
import '../orders/order-type.js';
import '../orders/order-connection.js';
import '../orders/order-queries.js';
import '../orders/order-mutations.js';

let schema: GraphQLSchema | undefined;

/**
 * The executable schema: an Apollo Federation v2 subgraph (`_service`,
 * `_entities`, `User @key(fields: "userId")`). Built once per process.
 */
export function gatewaySchema(): GraphQLSchema {
  if (!schema) {
    schema = builder.toSubGraphSchema({ linkUrl: 'https://specs.apollo.dev/federation/v2.6' });
    checkEntityTypenames(schema);
  }
  return schema;
}

/** Whether gatewaySchema() has run (after which nothing can be added to the builder). */
export function schemaIsBuilt(): boolean {
  return schema !== undefined;
}

/** The SDL committed as schema/schema.graphql: sorted, federation directives included. */
export function printGatewaySchema(): string {
  return `${printSubgraphSchema(lexicographicSortSchema(gatewaySchema())).trim()}\n`;
}
