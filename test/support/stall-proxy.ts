import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface StallProxy {
  readonly port: number;
  /** Hold every byte the server sends (answers stall); what clients send still goes through. */
  stall(): void;
  /** Deliver what was held and go on forwarding. */
  resume(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on a free port of 127.0.0.1 in front of `targetPort`, whose
 * answers can be held back: a shard that takes statements but does not
 * answer, as a congested network or a frozen host looks to the gateway.
 */
export async function startStallProxy(targetPort: number): Promise<StallProxy> {
  let stalled = false;
  const held: { socket: Socket; chunk: Buffer }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop).on('close', drop);
    // pipe() forwards a half-close only after the bytes before it (a cancel request is sent that way).
    client.pipe(upstream);
    upstream.on('end', () => client.end());
    upstream.on('data', (chunk) => {
      if (stalled) held.push({ socket: client, chunk });
      else client.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
      for (const { socket, chunk } of held.splice(0)) if (!socket.destroyed) socket.write(chunk);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
