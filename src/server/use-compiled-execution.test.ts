import { GraphQLError } from 'graphql';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { positionOf, useCompiledExecution } from './use-compiled-execution.js';

class NotFound extends Error {}

const schema = createSchema({
  typeDefs: /* GraphQL */ `
    type User {
      id: ID!
      name: String
    }
    type Query {
      user(id: ID!): User
      users(ids: [ID!]!): [User]!
      broken: String
      refused: String
    }
  `,
  resolvers: {
    Query: {
      user: async (_: unknown, { id }: { id: string }) => ({ id, name: `user ${id}` }),
      users: (_: unknown, { ids }: { ids: string[] }) =>
        ids.map((id) => (id === 'missing' ? new NotFound(`no ${id}`) : { id, name: null })),
      broken: () => {
        throw new Error('connection string postgres://secret');
      },
      refused: () => {
        throw new GraphQLError('refused', { extensions: { code: 'FORBIDDEN' } });
      },
    },
  },
});

/** What every other plugin sees: how many operations reached execution, and their results. */
function observer(): Plugin & { executed: number; results: unknown[] } {
  const seen = {
    executed: 0,
    results: [] as unknown[],
    onExecute() {
      seen.executed++;
      return {
        onExecuteDone({ result }: { result: unknown }) {
          seen.results.push(result);
        },
      };
    },
  };
  return seen;
}

async function run(compiled: boolean, query: string, variables?: Record<string, unknown>, operationName?: string) {
  const seen = observer();
  const fallbacks: (string | null)[] = [];
  const yoga = createYoga({
    schema,
    logging: false,
    maskedErrors: false,
    plugins: [seen, ...(compiled ? [useCompiledExecution({ onFallback: (name) => fallbacks.push(name) })] : [])],
  });
  const response = await yoga.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables, operationName }),
  });
  return { status: response.status, body: (await response.json()) as unknown, executed: seen.executed, fallbacks };
}

describe('useCompiledExecution', () => {
  const cases: [string, string, Record<string, unknown>?][] = [
    ['a query with variables', 'query One($id: ID!) { user(id: $id) { id name } }', { id: '7' }],
    ['a list with an error item', 'query { users(ids: ["1", "missing", "2"]) { id name } }'],
    ['a resolver that throws', '{\n  user(id: "1") { id }\n  broken\n}'],
    ['a resolver that throws a GraphQLError with a code', '{ refused }'],
    ['bad variables', 'query One($id: ID!) { user(id: $id) { id } }', { id: { not: 'an id' } }],
  ];
  for (const [name, query, variables] of cases) {
    it(`answers ${name} exactly as graphql-js does`, async () => {
      const interpreted = await run(false, query, variables);
      const compiled = await run(true, query, variables);
      expect(compiled.body).toEqual(interpreted.body);
      expect(compiled.status).toBe(interpreted.status);
      expect(compiled.fallbacks).toEqual([]);
    });
  }

  it('keeps every other plugin around execution: they see each operation and its result', async () => {
    const compiled = await run(true, '{ user(id: "1") { id } }');
    expect(compiled.executed).toBe(1);
    expect(compiled.body).toEqual({ data: { user: { id: '1' } } });
  });

  it('hands a resolver error to the plugins with its original error, so the error policy can mask it', async () => {
    const seen = observer();
    const yoga = createYoga({ schema, logging: false, maskedErrors: false, plugins: [seen, useCompiledExecution()] });
    await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ broken }' }),
    });
    const result = seen.results[0] as { errors: GraphQLError[] };
    expect(result.errors[0]).toBeInstanceOf(GraphQLError);
    expect(result.errors[0]!.originalError?.message).toBe('connection string postgres://secret');
    expect(result.errors[0]!.path).toEqual(['broken']);
    // The field's AST node, from which the error policy rebuilds the masked error's location.
    expect(result.errors[0]!.nodes?.map((n) => n.kind)).toEqual(['Field']);
  });

  it('runs on graphql-js what graphql-jit cannot compile, and says so once', async () => {
    const plugin = useCompiledExecution({ onFallback: (name, reason) => fallbacks.push([name, reason]) });
    const fallbacks: [string | null, string][] = [];
    const { parse } = await import('graphql');
    // Two operations and no operation name: graphql-jit refuses to pick one.
    const document = parse('query A { broken } query B { refused }');
    let replaced = 0;
    for (let i = 0; i < 2; i++) {
      (plugin.onExecute as (p: unknown) => void)({
        args: { schema, document, operationName: null },
        setExecuteFn: () => replaced++,
      });
    }
    expect(replaced).toBe(0);
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]![0]).toBeNull();
  });
});

describe('positionOf', () => {
  it('turns a 1-based line and column into an offset, for every kind of line break', () => {
    expect(positionOf('{ a }', 1, 3)).toBe(2);
    expect(positionOf('{\n  a\n}', 2, 3)).toBe(4);
    expect(positionOf('{\r\n  a\r\n}', 2, 3)).toBe(5);
    expect(positionOf('{\r  a\r}', 2, 3)).toBe(4);
  });
});
