import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Requests served so far. */
  readonly requests: number;
  close(): Promise<void>;
}

/**
 * Serves `listener` over real HTTP on a free port of 127.0.0.1 (the kernel
 * picks it: `listen(0)`). `close` also drops kept-alive connections, which a
 * federation gateway holds open and which would otherwise stall the close.
 */
export async function listenOnLoopback(listener: RequestListener): Promise<LoopbackServer> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    listener(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
