import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { useRequestBodyLimit } from './use-request-body-limit.js';

const LIMIT = 1000;

const yoga = createYoga({
  schema: createSchema({
    typeDefs: 'type Query { echo(text: String!): String! }',
    resolvers: { Query: { echo: (_: unknown, { text }: { text: string }) => text } },
  }),
  logging: false,
  maxRequestBodySize: false,
  plugins: [useRequestBodyLimit(LIMIT)],
});

function body(textLength: number): string {
  return JSON.stringify({ query: 'query($t: String!) { echo(text: $t) }', variables: { t: 'x'.repeat(textLength) } });
}

/** A body without Content-Length (chunked), in two chunks. */
function streamed(text: string): RequestInit {
  const bytes = new TextEncoder().encode(text);
  const half = Math.floor(bytes.length / 2);
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, half));
        controller.enqueue(bytes.slice(half));
        controller.close();
      },
    }),
    // @ts-expect-error Node's RequestInit lacks `duplex`, which a streamed body needs.
    duplex: 'half',
  };
}

async function send(init: RequestInit) {
  const response = await yoga.fetch('http://localhost/graphql', init);
  return {
    status: response.status,
    body: (await response.json()) as { data?: { echo: string }; errors?: { extensions?: { code?: string } }[] },
  };
}

describe('useRequestBodyLimit', () => {
  it('runs a body with a Content-Length within the limit', async () => {
    const text = body(100);
    const r = await send({
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) },
      body: text,
    });
    expect(r).toMatchObject({ status: 200, body: { data: { echo: 'x'.repeat(100) } } });
  });

  it('answers 413 from the Content-Length alone when it says more than the limit', async () => {
    const text = body(2000);
    const r = await send({
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) },
      body: text,
    });
    expect(r.status).toBe(413);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('REQUEST_ENTITY_TOO_LARGE');
  });

  it('answers 400 to a Content-Length that is not one number', async () => {
    const r = await send({ method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '10, 10' }, body: body(1) });
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  });

  it('counts a body without Content-Length as it streams: within the limit it runs, beyond it 413', async () => {
    expect(await send(streamed(body(100)))).toMatchObject({ status: 200, body: { data: { echo: 'x'.repeat(100) } } });
    const over = await send(streamed(body(2000)));
    expect(over.status).toBe(413);
    expect(over.body.errors?.[0]?.extensions?.code).toBe('REQUEST_ENTITY_TOO_LARGE');
  });
});
