/**
 * GraphQL Code Generator configuration for clients of shardgate.
 *
 * The schema is code-first (Pothos, src/graphql/schema/). Its printed SDL,
 * federation directives included, is written to schema/schema.graphql by
 * `npm run schema`, and src/graphql/schema/schema.test.ts fails when the file
 * and the code differ. This config starts from that file, so typed clients
 * never need the server's code:
 *
 *   npm i -D @graphql-codegen/cli@6 @graphql-codegen/typescript @graphql-codegen/typescript-operations
 *   npx graphql-codegen --config codegen.ts
 *
 * (The shape below is @graphql-codegen/cli's `CodegenConfig`; it is written
 * without importing the type so that the gateway does not depend on codegen.)
 */
const config = {
  overwrite: true,
  schema: 'schema/schema.graphql',
  documents: ['client/**/*.graphql'],
  ignoreNoDocuments: true,
  generates: {
    'client/generated/graphql.ts': {
      plugins: ['typescript', 'typescript-operations'],
      config: {
        scalars: { DateTime: 'string', ID: 'string' },
        enumsAsTypes: true,
      },
    },
  },
};

export default config;
