import { createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on a free 127.0.0.1 port in front of one PostgreSQL node, for
 * network faults the database itself cannot produce: `cut()` destroys every
 * connection mid-stream (both sockets, as a dropped NAT entry or a failed
 * link would), `stall()` stops forwarding in both directions without closing
 * anything (a black-holed route), `resume()` forwards again.
 */
export class TcpProxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  private stalled = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    let proxy: TcpProxy | null = null;
    const server = createServer((downstream) => proxy?.accept(downstream, targetHost, targetPort));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    proxy = new TcpProxy(server, address.port);
    return proxy;
  }

  /** Connections open through the proxy now. */
  get connections(): number {
    return this.pairs.size;
  }

  cut(): void {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  /** Like `cut`, but the gateway's side of each connection gets a TCP reset (RST) rather than an orderly close (FIN). */
  reset(): void {
    for (const [a, b] of this.pairs) {
      a.resetAndDestroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  stall(): void {
    this.stalled = true;
    for (const [a, b] of this.pairs) {
      a.pause();
      b.pause();
    }
  }

  resume(): void {
    this.stalled = false;
    for (const [a, b] of this.pairs) {
      a.resume();
      b.resume();
    }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(downstream: Socket, host: string, port: number): void {
    const upstream = new (downstream.constructor as typeof Socket)();
    const pair: [Socket, Socket] = [downstream, upstream];
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      downstream.destroy();
      upstream.destroy();
    };
    for (const [from, to] of [pair, [upstream, downstream] as const]) {
      from.on('data', (chunk) => {
        // Backpressure by hand: pipe() would resume a socket we stalled.
        if (!to.write(chunk)) from.pause();
      });
      to.on('drain', () => {
        if (!this.stalled) from.resume();
      });
      from.on('error', end);
      from.on('close', end);
    }
    if (this.stalled) {
      downstream.pause();
      upstream.pause();
    }
    upstream.connect(port, host);
  }
}
