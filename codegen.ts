/**
 * GraphQL Code Generator configuration: typed operations for a TypeScript
 * client of shardgate.
 *
 * The schema is code-first (Pothos, src/graphql/schema/). Its printed SDL,
 * federation directives included, is written to schema/schema.graphql by
 * `npm run schema`, and a test fails when the file and the code differ. The
 * operations are examples/operations/*.graphql, which the test suite checks
 * against that schema. A client team copies both and runs:
 *
 *   npm i -D @graphql-codegen/cli@6 @graphql-codegen/typescript @graphql-codegen/typescript-operations
 *   npx graphql-codegen --config codegen.ts
 *
 * which writes examples/generated/graphql.ts: a type per operation, its
 * variables and its result.
 *
 * (The shape below is @graphql-codegen/cli's `CodegenConfig`; it is written
 * without importing the type so that the gateway does not depend on codegen.)
 */
const config = {
  overwrite: true,
  schema: 'schema/schema.graphql',
  documents: ['examples/operations/*.graphql'],
  generates: {
    'examples/generated/graphql.ts': {
      plugins: ['typescript', 'typescript-operations'],
      config: {
        scalars: { DateTime: 'string', ID: 'string' },
        enumsAsTypes: true,
      },
    },
  },
};

export default config;
