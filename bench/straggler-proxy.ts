import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of one PostgreSQL node that makes it a straggler:
 * while `straggling`, each chunk the server sends is held back by `delayMs`
 * with probability `share` (and everything after it on that connection
 * waits behind it, so order is kept). A statement's answer is one chunk on
 * a quiet connection, so about `share` of statements come back late, as a
 * node with a vacuum, a checkpoint or a noisy neighbour answers.
 */
export class StragglerProxy {
  straggling = false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly share: number,
    private readonly delayMs: number,
  ) {}

  static async start(targetPort: number, share: number, delayMs: number): Promise<StragglerProxy> {
    let proxy: StragglerProxy | null = null;
    const server = createServer((client) => proxy?.accept(client, targetPort));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new StragglerProxy(server, (server.address() as AddressInfo).port, share, delayMs);
    return proxy;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, targetPort: number): void {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    this.sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    // Chunks go out in order; a held chunk holds the ones behind it.
    let tail: Promise<void> = Promise.resolve();
    upstream.on('data', (chunk: Buffer) => {
      const hold = this.straggling && Math.random() < this.share;
      tail = tail.then(async () => {
        if (hold) await new Promise((r) => setTimeout(r, this.delayMs));
        if (!client.destroyed) client.write(chunk);
      });
    });
  }
}
