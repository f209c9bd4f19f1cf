import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import { InFlightResponses } from './in-flight-responses.js';
import { ErrorCode } from '../repository/error-codes.js';

export interface DrainableServer {
  readonly server: Server;
  /**
   * Stop taking work: no new connections; every response still to be
   * written says `connection: close`, so no client sends another request on
   * it; a request that arrives on a kept-alive connection is not started but
   * answered (503, `connection: close`, `retry-after: 1`), so the connection
   * closes right after an answer. Connections that stay idle are closed
   * between requests only after `idleLingerMs`, then every `idleLingerMs / 4`.
   * Resolves once every connection is closed, or after `graceMs`, when the
   * rest are cut.
   */
  drain(graceMs: number, idleLingerMs?: number): Promise<void>;
}

/**
 * How long idle kept-alive connections stay open once a drain begins. A
 * client may be sending on an idle connection at the very moment the server
 * closes it, and then gets a reset with no answer, not knowing whether its
 * request (a write) ran. Left open a moment, every connection in use carries
 * its next request, which is answered 503 with `connection: close`; only a
 * connection quiet for this long is closed without an answer.
 */
export const DEFAULT_IDLE_LINGER_MS = 1000;

const SHUTTING_DOWN_BODY = JSON.stringify({
  errors: [
    { message: 'shardgate is shutting down; send the request again (to another instance).', extensions: { code: ErrorCode.SHUTTING_DOWN } },
  ],
});

/** An HTTP server for `handler` that can be drained without starting anything new. */
export function createDrainableServer(handler: RequestListener): DrainableServer {
  let draining = false;
  const inFlight = new InFlightResponses();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (draining) {
      res.writeHead(503, {
        connection: 'close',
        'retry-after': '1',
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(SHUTTING_DOWN_BODY),
      });
      res.end(SHUTTING_DOWN_BODY);
      return;
    }
    inFlight.track(res);
    handler(req, res);
  });
  let drained: Promise<void> | null = null;
  const drain = (graceMs: number, idleLingerMs = DEFAULT_IDLE_LINGER_MS) =>
    (drained ??= new Promise<void>((resolve) => {
      draining = true;
      // Responses whose headers already promised keep-alive finish; the client's next request on the connection gets the 503.
      inFlight.forEach((res) => {
        if (!res.headersSent) res.setHeader('connection', 'close');
      });
      let sweep: NodeJS.Timeout | undefined;
      const cut = setTimeout(() => server.closeAllConnections(), graceMs);
      cut.unref();
      const linger = setTimeout(
        () => {
          server.closeIdleConnections();
          sweep = setInterval(() => server.closeIdleConnections(), Math.max(10, idleLingerMs / 4));
          sweep.unref();
        },
        Math.min(idleLingerMs, graceMs),
      );
      linger.unref();
      // Stop listening without http.Server#close, which also closes every idle connection at once (the race above).
      NetServer.prototype.close.call(server, () => {
        clearTimeout(cut);
        clearTimeout(linger);
        clearInterval(sweep);
        resolve();
      });
    }));
  return { server, drain };
}
