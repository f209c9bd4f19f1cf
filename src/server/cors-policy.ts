import type { YogaServerOptions } from 'graphql-yoga';

type CorsOption = NonNullable<YogaServerOptions<Record<string, unknown>, Record<string, unknown>>['cors']>;

// Headers a browser client may read from a cross-origin response.
const EXPOSED_HEADERS = ['shardgate-consistency-token', 'retry-after', 'x-request-id'];

/**
 * CORS from an allow-list: off (no CORS header at all, so browsers keep
 * cross-origin pages out) when it is empty; `*` lets any origin read
 * responses but never with credentials; otherwise only a listed origin is
 * echoed, and only then are credentials allowed. An unlisted origin gets no
 * CORS header, whatever it sends.
 */
export function corsPolicy(origins: readonly string[]): CorsOption | false {
  if (origins.length === 0) return false;
  const methods = ['GET', 'POST'];
  if (origins.includes('*')) return { origin: '*', credentials: false, methods, exposedHeaders: EXPOSED_HEADERS };
  const allowed = new Set(origins);
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (!origin || !allowed.has(origin)) return false;
    return { origin, credentials: true, methods, exposedHeaders: EXPOSED_HEADERS };
  };
}
