import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../repository/error-codes.js';

/** Yoga's default, kept: a GraphQL request is text, 25 MB is far beyond any real one. */
export const DEFAULT_MAX_REQUEST_BODY_BYTES = 25_000_000;

const CONTENT_LENGTH = /^\d+$/;

function tooLarge() {
  return new GraphQLError('Request body too large', { extensions: { http: { status: 413 }, code: ErrorCode.REQUEST_ENTITY_TOO_LARGE } });
}

function badContentLength() {
  return new GraphQLError('Content-Length header is invalid.', { extensions: { http: { status: 400 }, code: ErrorCode.BAD_REQUEST } });
}

/**
 * The request body limit, with yoga's answers (413 REQUEST_ENTITY_TOO_LARGE,
 * 400 for a malformed Content-Length), at the cost the request needs. Use it
 * with `maxRequestBodySize: false` in createYoga, in place of yoga's own.
 *
 * Yoga's limiter pipes every body through a counting stream, and Node's
 * stream pipeline allocates an AbortController and a DOMException (with a
 * stack trace) per request: a few percent of the gateway's CPU on small
 * requests. A body with a Content-Length needs none of it: Node's HTTP
 * parser hands the request exactly that many bytes (any more are the next
 * request on the connection), so checking the header is the whole check.
 * Only a body without one (chunked) is counted as it streams.
 */
export function useRequestBodyLimit(limit: number = DEFAULT_MAX_REQUEST_BODY_BYTES): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const contentLength = request.headers.get('content-length');
      if (contentLength !== null) {
        if (!CONTENT_LENGTH.test(contentLength)) throw badContentLength();
        if (Number(contentLength) > limit) throw tooLarge();
        return;
      }
      if (!requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser((req) => parse(countingBody(req, limit, fetchAPI)));
    },
  };
}

/** The request with a body that errors once more than `limit` bytes have streamed through. */
function countingBody(
  request: Request,
  limit: number,
  fetchAPI: { Request: typeof Request; TransformStream: typeof TransformStream },
): Request {
  const body = request.body;
  if (!body) return request;
  // A native stream needs the native TransformStream, a ponyfilled one the ponyfill (as yoga does).
  const Transform = body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  let bytes = 0;
  const counted = body.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        if (bytes > limit) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    body: counted,
    // @ts-expect-error Node's RequestInit lacks `duplex`, which a streamed body needs.
    duplex: 'half',
  });
}
