import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ids = new WeakMap<Request, string>();
const current = new AsyncLocalStorage<string>();

/**
 * The id of an HTTP request: the caller's `x-request-id` when it is a sane
 * token, else a fresh UUID; the same value every time it is asked for the
 * same request, so the GraphQL context, logs and masked errors agree.
 */
export function requestIdOf(request: Request): string {
  let id = ids.get(request);
  if (!id) {
    const incoming = request.headers.get('x-request-id');
    id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ids.set(request, id);
  }
  return id;
}

/** The id of the request being handled, where no context reaches (errors masked outside execution). */
export function currentRequestId(): string | null {
  return current.getStore() ?? null;
}

/** Makes currentRequestId() work for the whole handling of each request. */
export function useRequestId(): Plugin {
  return {
    instrumentation: {
      request: ({ request }, wrapped) => current.run(requestIdOf(request), wrapped),
    },
  };
}
