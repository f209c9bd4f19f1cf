import type { FieldNode } from 'graphql';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { toClientError, useErrorPolicy } from './error-policy.js';

// A validation rule that crashes on one field: an error that escapes validation, not a GraphQL error.
const crashingRule: Plugin = {
  onValidate({ addValidationRule }) {
    addValidationRule(() => ({
      Field(node: FieldNode) {
        if (node.name.value === 'crash') throw new Error('rule crashed with secret detail');
      },
    }));
  },
};

/** A yoga as createApp wires the policy: yoga's masking calls toClientError for what escapes execution. */
function gateway() {
  const logged: { requestId?: string | null; msg?: string }[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) });
  const yoga = createYoga({
    schema: createSchema({ typeDefs: 'type Query { ok: Boolean, crash: Boolean }', resolvers: { Query: { ok: () => true } } }),
    logging: false,
    maskedErrors: { maskError: (error) => toClientError(error, null, logger) },
    plugins: [useErrorPolicy(logger), crashingRule],
  });
  const post = async (query: string, requestId: string) => {
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ query }),
    });
    return (await response.json()) as { errors?: { message: string; extensions?: Record<string, unknown> }[] };
  };
  return { post, logged };
}

describe('useErrorPolicy', () => {
  it('masks an error that escapes validation with the id of its own request, in the response and the log, every time', async () => {
    const { post, logged } = gateway();
    // The same document twice: yoga caches its validation, so the second request must still get its own id.
    for (const requestId of ['first-1', 'second-2']) {
      const body = await post('{ crash }', requestId);
      expect(body.errors).toEqual([{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }]);
      expect(JSON.stringify(body)).not.toContain('secret');
      expect(logged.at(-1)?.requestId).toBe(requestId);
    }
  });

  it('leaves a request that succeeds alone', async () => {
    const { post, logged } = gateway();
    expect(await post('{ ok }', 'fine-1')).toEqual({ data: { ok: true } });
    expect(logged).toEqual([]);
  });
});
