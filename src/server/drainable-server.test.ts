import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createDrainableServer } from './drainable-server.js';

interface Answer {
  status: number | null;
  connection?: string;
  error?: string;
}

function post(port: number, agent: Agent): Promise<Answer> {
  const body = JSON.stringify({ query: 'mutation { x }' });
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? null, connection: res.headers.connection }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ status: null, error: `${err.code} (${req.reusedSocket ? 'kept-alive' : 'new'})` }),
    );
    req.end(body);
  });
}

describe('createDrainableServer', () => {
  it('16 keep-alive writers across a drain: every request on a kept-alive connection is answered (200, or 503 connection: close), none reset', async () => {
    const { server, drain } = createDrainableServer((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.end('{"data":{}}'), 1 + Math.random() * 10));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const answers: Answer[][] = Array.from({ length: 16 }, () => []);
    let drainStarted = false;
    const clients = answers.map(async (mine) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      // Bounded: at most 10,000 requests per client; a 503 or a refused connection ends the client (it would go elsewhere).
      for (let i = 0; i < 10_000; i++) {
        const answer = await post(port, agent);
        mine.push(answer);
        if (answer.status !== 200) break;
        if (drainStarted && answer.connection === 'close') break;
      }
      agent.destroy();
    });
    const warm = Date.now() + 20_000;
    while (answers.some((a) => a.length < 3)) {
      if (Date.now() > warm) throw new Error('the clients did not get going');
      await new Promise((r) => setTimeout(r, 5));
    }
    drainStarted = true;
    await drain(10_000, 3000);
    await Promise.all(clients);
    const all = answers.flat();
    // A client quiet for the whole linger (3 s here) could meet the idle close; none is, as each sends on at once.
    expect(all.filter((a) => a.status === null && !a.error?.startsWith('ECONNREFUSED'))).toEqual([]);
    for (const a of all.filter((x) => x.status === 503)) expect(a.connection).toBe('close');
    expect(all.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(48);
  }, 30_000);

  it('an idle kept-alive connection is closed between requests after the linger, and the drain ends', async () => {
    const { server, drain } = createDrainableServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await post(port, agent)).status).toBe(200);
    const started = Date.now();
    await drain(10_000, 100);
    expect(Date.now() - started).toBeLessThan(9_000); // by the linger, not by the grace cut
    agent.destroy();
  });
});
