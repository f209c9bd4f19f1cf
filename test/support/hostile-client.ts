import { expect } from 'vitest';
import type { App } from '../../src/server/create-app.js';
import type { StatementRecorder } from '../../testkit/statement-recorder.js';

export interface RawResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** Sends a request through `app.fetch` (no port) and reads the body as JSON when it is JSON. */
export async function send(app: App, init: RequestInit & { url?: string } = {}): Promise<RawResponse> {
  const { url = 'http://gateway.test/graphql', ...rest } = init;
  const response = await app.fetch(url, rest);
  const text = await response.text();
  let body: any = text;
  try {
    body = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body };
}

/** A JSON POST, as GraphiQL and routers send it. */
export function postJson(app: App, payload: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return send(app, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

/**
 * The checks every hostile case shares: the expected status and code, not
 * one SQL statement sent, and the gateway still answering a normal query.
 */
export async function expectRefused(
  app: App,
  recorder: StatementRecorder,
  response: RawResponse,
  expected: { status: number; code?: string; extensions?: Record<string, unknown> },
): Promise<void> {
  expect(response.status, JSON.stringify(response.body).slice(0, 500)).toBe(expected.status);
  if (expected.code) {
    const errors = response.body?.errors as { extensions?: Record<string, unknown> }[] | undefined;
    expect(errors?.length, JSON.stringify(response.body).slice(0, 500)).toBeGreaterThan(0);
    expect(errors!.map((e) => e.extensions?.code)).toContain(expected.code);
    if (expected.extensions) {
      expect(errors!.find((e) => e.extensions?.code === expected.code)!.extensions).toMatchObject(expected.extensions);
    }
  }
  expect(recorder.statements, 'no SQL may be sent for a refused request').toEqual([]);
  await expectStillServing(app, recorder);
}

export const STILL_SERVING_QUERY = '{ user(userId: "still-serving") { userId } }';

/** A small query still answers: the process is alive and serving others. */
export async function expectStillServing(app: App, recorder: StatementRecorder): Promise<void> {
  const ok = await postJson(app, { query: STILL_SERVING_QUERY });
  expect(ok.status).toBe(200);
  expect(ok.body).toEqual({ data: { user: null } });
  recorder.reset();
}
