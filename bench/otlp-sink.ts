import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpSink {
  readonly endpoint: string;
  /** Export requests received (any path: /v1/traces, /v1/metrics...). */
  readonly posts: number;
  readonly bytes: number;
  close(): Promise<void>;
}

/**
 * A tiny OTLP/HTTP receiver that accepts every export and throws it away:
 * the tracing-on gateway exports for real, to loopback, without a Jaeger.
 */
export async function startOtlpSink(): Promise<OtlpSink> {
  let posts = 0;
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => {
      posts++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get posts() {
      return posts;
    },
    get bytes() {
      return bytes;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
