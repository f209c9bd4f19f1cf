import { randomUUID } from 'node:crypto';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ids = new WeakMap<Request, string>();

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
