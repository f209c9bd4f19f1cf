import SchemaBuilder from '@pothos/core';
import DirectivePlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import type { GatewayContext } from './context.js';

/**
 * The Pothos builder. It defines no types: each type lives in its own file
 * under schema/, with the queries and mutations that return it.
 * Fields are non-null unless they say otherwise, as in the published SDL (schema/schema.graphql).
 */
export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    DateTime: { Input: string; Output: string };
  };
}>({
  // The federation plugin goes last: it must see the resolvers other plugins wrap.
  plugins: [DirectivePlugin, FederationPlugin],
  defaultFieldNullability: false,
});
