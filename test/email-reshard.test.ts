import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolOptions } from '../src/cli/reshard-command.js';
import { loadGatewayOptions } from '../src/config/gateway-options.js';
import { loadTopologyFile } from '../src/config/load-topology.js';
import { readTopologyDocument, recordableTopology } from '../src/config/recorded-topology.js';
import { migrateAll } from '../src/repository/migrations.js';
import { openShards } from '../src/repository/open-shards.js';
import { runReshard } from '../src/reshard/run-reshard.js';
import { emailLookupKey } from '../src/sharding/email-lookup-key.js';
import { shardIdFor } from '../src/sharding/shard-id-for.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { openGatewayFixture, testGatewayOptions } from './support/gateway-fixture.js';

// Resharding 2 → 3 moves the email lookup by each email's own hash, verified like the users.
const USERS = 300;

interface Primary {
  host: string;
  port: number;
  user: string;
  dbname: string;
}

async function sql<R extends object>(node: Primary, text: string): Promise<R[]> {
  const client = new pg.Client({ host: node.host, port: node.port, user: node.user, database: node.dbname });
  await client.connect();
  try {
    return (await client.query<R>(text)).rows;
  } finally {
    await client.end();
  }
}

let old: ThrowawayCluster;
let added: ThrowawayCluster;
let dir: string;
let toPath: string;
let primaries: Primary[];

beforeAll(async () => {
  [old, added] = await Promise.all([
    startThrowawayCluster({ shards: 2, replicas: 0, name: 'email-reshard-old' }),
    startThrowawayCluster({ shards: 1, replicas: 0, name: 'email-reshard-new' }),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'shardgate-email-reshard-'));
  const from = old.topology as unknown as { shards: { shardId: number; primary: Primary; replicas: Primary[] }[] };
  const to = { shards: [...from.shards, { ...(added.topology as unknown as typeof from).shards[0]!, shardId: 2 }] };
  toPath = join(dir, 'to.json');
  await writeFile(toPath, JSON.stringify(to, null, 2));
  primaries = to.shards.map((s) => s.primary);
  const shards = openShards(loadTopologyFile(old.topologyPath), testGatewayOptions());
  try {
    await migrateAll(shards.db);
    for (let i = 0; i < USERS; i++) await shards.users.create({ userId: `u-${i}`, name: 'N', email: `Person-${i}@Example.io` });
    // Two users sharing an email, and one moved to another email (its old row released).
    await shards.users.create({ userId: 'twin-a', name: 'N', email: 'twins@x.io' });
    await shards.users.create({ userId: 'twin-b', name: 'N', email: 'TWINS@x.io' });
    await shards.users.update('u-0', { email: 'moved@x.io' });
  } finally {
    await shards.close();
  }
}, 180_000);

afterAll(async () => {
  await Promise.all([old?.destroy(), added?.destroy()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('reshard 2 → 3 with the email lookup', () => {
  it('moves every lookup row to the shard of its email, verifies them, and every user is found by email on the new layout', async () => {
    const log: string[] = [];
    const result = await runReshard({
      from: loadTopologyFile(old.topologyPath),
      to: loadTopologyFile(toPath),
      recordedTo: recordableTopology(readTopologyDocument(toPath)),
      dryRun: false,
      gatewayOptions: toolOptions(loadGatewayOptions({})),
      log: (line) => log.push(line),
      batchSize: 50,
      cleanupDelayMs: 500,
    });
    expect(result.outcome).toBe('done');
    expect(log.filter((l) => /^verify: new shard \d: \d+ email lookup rows, checksum [0-9a-f]+ = old$/.test(l))).toHaveLength(3);
    expect(log.some((l) => /^copy: \d+ email lookup row\(s\) copied/.test(l))).toBe(true);
    expect(log.some((l) => /^cleanup: \d+ email lookup row\(s\) deleted/.test(l))).toBe(true);

    // Every row on the database of fnv1a32(email) % 3, exactly once.
    const rows = (
      await Promise.all(
        primaries.map((p) => sql<{ email_lower: string; user_id: string }>(p, 'SELECT email_lower, user_id FROM user_emails')),
      )
    ).flatMap((list, db) => list.map((r) => ({ ...r, db })));
    expect(rows.filter((r) => shardIdFor(r.email_lower, 3) !== r.db)).toEqual([]);
    expect(rows).toHaveLength(USERS + 2);
    expect(new Set(rows.map((r) => `${r.email_lower} ${r.user_id}`)).size).toBe(rows.length);
    expect(rows.filter((r) => r.db === 2).length).toBeGreaterThan(0);

    const fx = await openGatewayFixture(toPath);
    try {
      for (const i of [1, 7, 42, 150, USERS - 1]) {
        const r = await fx.gql(`{ usersByEmail(email: "person-${i}@example.io", consistency: STRONG) { userId shardId } }`);
        expect(r.data.usersByEmail).toEqual([{ userId: `u-${i}`, shardId: shardIdFor(`u-${i}`, 3) }]);
      }
      const twins = await fx.gql('{ usersByEmail(email: "Twins@X.io", consistency: STRONG) { userId } }');
      expect(twins.data.usersByEmail).toEqual([{ userId: 'twin-a' }, { userId: 'twin-b' }]);
      expect((await fx.gql('{ usersByEmail(email: "person-0@example.io") { userId } }')).data.usersByEmail).toEqual([]);
      // Writes after the switch keep the lookup on the new layout.
      const u = await fx.gql('mutation { updateUser(userId: "u-5", input: { email: "after@x.io" }) { userId } }');
      expect(u.errors).toBeUndefined();
      expect((await fx.gql('{ usersByEmail(email: "after@x.io", consistency: STRONG) { userId } }')).data.usersByEmail).toEqual([
        { userId: 'u-5' },
      ]);
      const where = shardIdFor(emailLookupKey('after@x.io'), 3);
      expect(await sql<{ user_id: string }>(primaries[where]!, "SELECT user_id FROM user_emails WHERE email_lower = 'after@x.io'")).toEqual(
        [{ user_id: 'u-5' }],
      );
    } finally {
      await fx.close();
    }
  }, 180_000);
});
