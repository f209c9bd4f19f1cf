import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePortRange } from '../testkit/free-port-range.js';
import type { Topology } from '../src/config/topology.js';
import { eventually, openGatewayFixture } from './support/gateway-fixture.js';
import { parsePrometheusText, total } from './support/prometheus-text.js';
import { gatewayConnections } from './support/gateway-connections.js';
import { useSharedDatabase } from './support/use-shared-database.js';

// SIGHUP to a real `shardgate serve`: replicas added and removed while
// clients read and write, and refused files, with not one request failing.
type TopologyDoc = { shards: (Topology['shards'][number] & Record<string, unknown>)[] };

let child: ChildProcess;
let url = '';
let log = '';
let topologyPath = '';
let full: TopologyDoc;
let applicationName = '';

const withoutReplicas = (doc: TopologyDoc): TopologyDoc => ({ shards: doc.shards.map((s) => ({ ...s, replicas: [] })) });
const post = async (query: string) => {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data: any; errors?: { extensions?: { code?: string } }[] };
};
const metrics = async () => parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
/** Log lines (pino JSON) with this message, from this offset of the log on. */
const logged = (msg: RegExp, from = 0) =>
  log
    .slice(from)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; level: number; problems?: string[]; changes?: string[] })
    .filter((l) => msg.test(l.msg));
async function reload(doc: unknown | string): Promise<number> {
  const mark = log.length;
  await writeFile(topologyPath, typeof doc === 'string' ? doc : JSON.stringify(doc));
  child.kill('SIGHUP');
  await eventually(() => logged(/^topology reload/, mark).length > 0, 10_000, 'the reload to be logged');
  return mark;
}
beforeAll(async () => {
  const db = await useSharedDatabase('reload');
  full = db.topology as TopologyDoc;
  const fx = await openGatewayFixture(db.topologyPath);
  for (let i = 0; i < 30; i++) await fx.gql(`mutation { createUser(input: {userId: "r-${i}", name: "R", email: "r@x.io"}) { userId } }`);
  await fx.close();
  topologyPath = join(db.topologyPath, '..', `${db.dbname}-reload.json`);
  await writeFile(topologyPath, JSON.stringify(withoutReplicas(full)));
  const port = await findFreePortRange(1);
  applicationName = `sg-reload-${port}`;
  url = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, ['bin/shardgate.js', 'serve', '--config', topologyPath, '--port', String(port), '--host', '127.0.0.1'], {
    env: { ...process.env, LOG_LEVEL: 'info', SHARDGATE_APPLICATION_NAME: applicationName, SHARDGATE_HEALTH_INTERVAL_MS: '200' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d) => (log += d));
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  await eventually(() => stdout.includes('GraphiQL:'), 20_000, `serve to start (${log.slice(-500)})`);
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

describe('SIGHUP reloads the topology file while serving', () => {
  it('adds replicas (they serve reads), removes them (no request fails), and refuses a bad file without stopping', async () => {
    // Steady load all along: readers of every shard and writers.
    let stopping = false;
    const failures: string[] = [];
    let requests = 0;
    const loops = Array.from({ length: 6 }, async (_, w) => {
      for (let n = 0; !stopping; n++) {
        const query =
          w % 3 === 0
            ? `mutation { createUser(input: {userId: "rl-${w}-${n}", name: "N", email: "n@x.io"}) { userId } }`
            : `{ a: user(userId: "r-${n % 30}") { userId } b: usersByIds(userIds: ["r-1", "r-2", "r-3", "r-4"]) { userId } }`;
        const r = await post(query).catch((e: Error) => ({ data: null, errors: [{ extensions: { code: e.message } }] }));
        requests++;
        if (r.errors) failures.push(`${query.slice(0, 40)}: ${r.errors[0]!.extensions?.code}`);
      }
    });
    const replicaReads = async () => total(await metrics(), 'shardgate_shard_queries_total', { role: 'replica' });
    try {
      await eventually(() => requests > 50, 20_000, 'load');
      expect(await replicaReads()).toBe(0);
      expect((await post('{ shards { nodes { role } } }')).data.shards.map((s: { nodes: unknown[] }) => s.nodes.length)).toEqual([1, 1, 1]);

      // Add the replicas: they are probed, then take the EVENTUAL reads.
      let mark = await reload(full);
      const added = logged(/^topology reloaded/, mark);
      expect(added[0]!.msg).toMatch(/shard 0: added 127\.0\.0\.1:\d+ \(replica\)/);
      expect(added[0]!.changes).toHaveLength(3);
      await eventually(async () => (await replicaReads()) > 20, 10_000, 'reads on the added replicas');
      const shards = await post('{ shards { nodes { address role healthy } } }');
      for (const [i, s] of shards.data.shards.entries()) {
        expect(s.nodes).toEqual([
          { address: `127.0.0.1:${full.shards[i]!.primary.port}`, role: 'PRIMARY', healthy: true },
          { address: `127.0.0.1:${full.shards[i]!.replicas[0]!.port}`, role: 'REPLICA', healthy: true },
        ]);
      }
      expect(await gatewayConnections(full.shards[0]!.replicas[0]!, applicationName)).toBeGreaterThan(0);

      // Remove them again under the same load: requests in flight on them finish, then their pools close.
      const before = requests;
      mark = await reload(withoutReplicas(full));
      expect(logged(/^topology reloaded/, mark)[0]!.msg).toMatch(/shard 0: removed 127\.0\.0\.1:\d+/);
      await eventually(() => requests > before + 100, 20_000, 'load after removing the replicas');
      for (const shard of full.shards) {
        await eventually(
          async () => (await gatewayConnections(shard.replicas[0]!, applicationName)) === 0,
          10_000,
          'the removed pools to close',
        );
      }
      const afterRemoval = await replicaReads();
      await eventually(() => requests > before + 200, 20_000, 'more load');
      expect(await replicaReads()).toBe(afterRemoval);

      // A file that changes the shard count is refused, logged, and changes nothing.
      mark = await reload({ shards: full.shards.slice(0, 2) });
      const refused = logged(/^topology reload refused/, mark);
      expect(refused[0]!.msg).toMatch(/expected 3 shard\(s\) as at start-up, got 2; the shard count cannot change while serving/);
      expect(refused[0]!.level).toBeGreaterThanOrEqual(50);
      // So is an invalid one, with the usual message naming the bad field.
      const invalid = withoutReplicas(full) as unknown as { shards: { primary: { port: unknown } }[] };
      invalid.shards[1]!.primary.port = 'five';
      mark = await reload(invalid);
      expect(logged(/^topology reload refused/, mark)[0]!.problems).toEqual([
        `${topologyPath}: shards[1].primary.port: expected an integer`,
      ]);
      mark = await reload('{ not json');
      expect(logged(/^topology reload refused/, mark)[0]!.msg).toMatch(/not valid JSON/);
      const stillThere = await post('{ shards { id nodes { role } } }');
      expect(stillThere.data.shards.map((s: { id: number; nodes: unknown[] }) => [s.id, s.nodes.length])).toEqual([
        [0, 1],
        [1, 1],
        [2, 1],
      ]);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const settled = requests;
      await eventually(() => requests > settled + 50, 20_000, 'load after the refused files');
    } finally {
      stopping = true;
      await Promise.all(loops);
    }
    expect(failures).toEqual([]);
    expect(child.exitCode).toBeNull();
  });
});
