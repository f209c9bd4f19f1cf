import { isUtf8 } from 'node:buffer';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

function notUtf8(what: string) {
  return new GraphQLError(`The request ${what} is not valid UTF-8.`, { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } });
}

/**
 * Refuses a request whose body (or GET query string) is not valid UTF-8:
 * 400 BAD_REQUEST, nothing parsed or run. Decoders replace invalid bytes by
 * U+FFFD, so a latin1 body or an overlong `C0 80` would otherwise run as some
 * other text than the client sent. List it before useRequestBodyLimit, whose
 * counting wrapper then hands this one the counted body.
 */
export function useStrictUtf8(): Plugin {
  return {
    onRequestParse({ request, url, requestParser, setRequestParser }) {
      // decodeURIComponent throws on percent-encoded bytes that are not UTF-8; URLSearchParams would replace them.
      if (url.search.includes('%')) {
        try {
          decodeURIComponent(url.search);
        } catch {
          throw notUtf8('query string');
        }
      }
      if (!requestParser || request.method === 'GET' || request.method === 'HEAD') return;
      const parse = requestParser;
      setRequestParser((req) => parse(withCheckedText(req)));
    },
  };
}

/** The same request, its `text()` and `json()` reading the bytes and refusing invalid UTF-8 before decoding. */
function withCheckedText(request: Request): Request {
  const ownText = request.text;
  // Some Request implementations read a body given as a string through
  // text() from arrayBuffer(): the nested call gets the original.
  let reading = false;
  const text = async (): Promise<string> => {
    if (reading) return ownText.call(request);
    reading = true;
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await request.arrayBuffer());
    } finally {
      reading = false;
    }
    if (!isUtf8(bytes)) throw notUtf8('body');
    return bytes.toString('utf8');
  };
  Object.defineProperties(request, {
    text: { value: text, configurable: true },
    json: { value: async () => JSON.parse(await text()) as unknown, configurable: true },
  });
  return request;
}
