import { createServer } from 'node:net';

/**
 * True when nothing listens on `host:port`, tried by binding it. PostgreSQL
 * binds with SO_REUSEADDR like Node does, so a port in TIME_WAIT counts as
 * free here and is free for it too.
 */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
