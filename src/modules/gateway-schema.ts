import type { GraphQLSchema } from 'graphql';
import { printSchemaSdl } from '../graphql/schema/index.js';
import { appliedModules, applyModules, type ModularSchema } from './apply-modules.js';

/**
 * The gateway's schema and field costs: the built-in modules' and the
 * loaded ones' when applyModules has run in this process, else the built-in
 * modules' alone (which applies them).
 */
export function gatewayModules(): ModularSchema {
  return appliedModules() ?? applyModules([]);
}

/** The executable schema (an Apollo Federation v2 subgraph); see gatewayModules. */
export function gatewaySchema(): GraphQLSchema {
  return gatewayModules().schema;
}

/** The SDL committed as schema/schema.graphql: sorted, federation directives included. */
export function printGatewaySchema(): string {
  return printSchemaSdl(gatewaySchema());
}
