import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { InFlightResponses } from './in-flight-responses.js';
import { ErrorCode } from '../repository/error-codes.js';

export interface DrainableServer {
  readonly server: Server;
  /**
   * Stop taking work: no new connections; idle keep-alive connections are
   * closed; every response still to be written says `connection: close`, so
   * no client sends another request on it; a request that arrives anyway
   * (already on its way on a kept-alive connection) is not started: 503,
   * `connection: close`, `retry-after: 1`. Resolves once every connection
   * is closed, or after `graceMs`, when the rest are cut.
   */
  drain(graceMs: number): Promise<void>;
}

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
  const drain = (graceMs: number) =>
    (drained ??= new Promise<void>((resolve) => {
      draining = true;
      inFlight.forEach((res) => {
        if (!res.headersSent) res.setHeader('connection', 'close');
        // Headers already on the wire promised keep-alive: close once this response is done.
        else res.once('finish', () => res.socket?.end());
      });
      const cut = setTimeout(() => server.closeAllConnections(), graceMs);
      cut.unref();
      server.close(() => {
        clearTimeout(cut);
        resolve();
      });
      server.closeIdleConnections();
    }));
  return { server, drain };
}
