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
import { pruneEmailClaims } from '../src/repository/email-claim-pruning.js';
import { RESHARD_APPLICATION_NAME } from '../src/repository/reshard-schema.js';
import { runReshard } from '../src/reshard/run-reshard.js';
import { emailLookupKey } from '../src/sharding/email-lookup-key.js';
import { shardIdFor } from '../src/sharding/shard-id-for.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { eventually, openGatewayFixture, testGatewayOptions } from './support/gateway-fixture.js';
import { reshardModules } from '../src/modules/builtin-modules.js';

// Resharding 2 → 3 moves the email lookup by each email's own hash, verified like the users.
const USERS = 300;

interface Primary {
  host: string;
  port: number;
  user: string;
  dbname: string;
}

/** At least one row (a test that expects one fails here otherwise). */
async function sqlRows<R extends object>(node: Primary, text: string): Promise<[R, ...R[]]> {
  const rows = await sql<R>(node, text);
  expect(rows.length).toBeGreaterThan(0);
  return rows as [R, ...R[]];
}

/** Not a user whose email the test changes or looks up otherwise. */
function i0(id: string): boolean {
  const i = Number(id.slice(2));
  return i >= 200 && i < USERS - 1;
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
/** A user that moves (its shard under 2 differs from under 3), with a stale lookup row that only its claim marker can judge at once. */
let mover: string;
let moverStaleEmail: string;

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
    // A user deleted before the reshard: its last applied marker stays, with no user to move it with.
    await shards.users.create({ userId: 'gone', name: 'N', email: 'gone@x.io' });
    await shards.users.delete('gone');
    // The mover changes email; then its old email's lookup row is put back as a crash between the
    // users write and the release would have left it: the owner no longer holds it, its lease is
    // far from over, and only the old claim's marker (beside the user) says it is stale.
    mover = Array.from({ length: USERS }, (_, i) => `u-${i}`).find((id) => i0(id) && shardIdFor(id, 2) !== shardIdFor(id, 3))!;
    moverStaleEmail = `person-${mover.slice(2)}@example.io`;
    const [{ email_claim: oldClaim }] = await sqlRows<{ email_claim: string }>(
      primaries[shardIdFor(mover, 2)]!,
      `SELECT email_claim FROM users WHERE user_id = '${mover}'`,
    );
    await shards.users.update(mover, { email: 'mover-new@x.io' });
    await sql(
      primaries[shardIdFor(moverStaleEmail, 2)]!,
      `INSERT INTO user_emails (email_lower, user_id, claim_id, expires_at)
       VALUES ('${moverStaleEmail}', '${mover}', '${oldClaim}', now() + interval '1 hour')`,
    );
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
      // The built-in modules' tables (orders) move with their owners.
      modules: reshardModules(),
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
    // Each user's row, the twins' and the mover's stale row put back.
    expect(rows).toHaveLength(USERS + 3);
    expect(new Set(rows.map((r) => `${r.email_lower} ${r.user_id}`)).size).toBe(rows.length);
    expect(rows.filter((r) => r.db === 2).length).toBeGreaterThan(0);

    // The claim markers and users.email_claim moved with their users, verified like them.
    expect(log.filter((l) => /^verify: new shard \d: \d+ email claim markers, checksum [0-9a-f]+ = old$/.test(l))).toHaveLength(3);
    const markers = (
      await Promise.all(
        primaries.map((p) =>
          sql<{ claim_id: string; user_id: string; state: string }>(p, 'SELECT claim_id, user_id, state FROM user_email_claims'),
        ),
      )
    ).flatMap((list, db) => list.map((r) => ({ ...r, db })));
    expect(markers.filter((m) => shardIdFor(m.user_id, 3) !== m.db)).toEqual([]);
    expect(new Set(markers.map((m) => m.claim_id)).size).toBe(markers.length);
    const users = (
      await Promise.all(
        primaries.map((p) => sql<{ user_id: string; email_claim: string | null }>(p, 'SELECT user_id, email_claim FROM users')),
      )
    ).flatMap((list, db) => list.map((r) => ({ ...r, db })));
    expect(users).toHaveLength(USERS + 2);
    const markerOf = new Map(markers.map((m) => [m.claim_id, m]));
    // Every user's email was written under a claim whose applied marker sits beside it.
    for (const u of users)
      expect(markerOf.get(u.email_claim ?? ''), u.user_id).toMatchObject({ user_id: u.user_id, state: 'applied', db: u.db });
    expect(users.filter((u) => shardIdFor(u.user_id, 2) !== shardIdFor(u.user_id, 3)).length).toBeGreaterThan(0);
    // The mover kept both markers: its new email's and the replaced one's.
    expect(markers.filter((m) => m.user_id === mover)).toHaveLength(2);
    // The deleted user's marker was not moved; the cleanup removed it where it no longer belongs.
    expect(markers.filter((m) => m.user_id === 'gone' && m.db !== shardIdFor('gone', 3))).toEqual([]);

    const fx = await openGatewayFixture(toPath);
    try {
      for (const i of [1, 7, 42, 150, USERS - 1]) {
        const r = await fx.gql(`{ usersByEmail(email: "person-${i}@example.io", consistency: STRONG) { userId shardId } }`);
        expect(r.data.usersByEmail).toEqual([{ userId: `u-${i}`, shardId: shardIdFor(`u-${i}`, 3) }]);
      }
      // The mover's stale row: judged at once by the marker that moved with the mover (its lease has an hour to run), and repaired.
      const staleAt = primaries[shardIdFor(moverStaleEmail, 3)]!;
      expect(await sql(staleAt, `SELECT 1 FROM user_emails WHERE email_lower = '${moverStaleEmail}'`)).toHaveLength(1);
      expect((await fx.gql(`{ usersByEmail(email: "${moverStaleEmail}") { userId } }`)).data.usersByEmail).toEqual([]);
      await eventually(
        async () => (await sql(staleAt, `SELECT 1 FROM user_emails WHERE email_lower = '${moverStaleEmail}'`)).length === 0,
        10_000,
        'the stale row of the mover repaired',
      );
      expect((await fx.gql('{ usersByEmail(email: "mover-new@x.io", consistency: STRONG) { userId } }')).data.usersByEmail).toEqual([
        { userId: mover },
      ]);
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

describe('pruning old email claim markers', () => {
  it('deletes markers older than the bound and keeps newer ones; lookups whose markers went are still judged right', async () => {
    const fx = await openGatewayFixture(toPath);
    try {
      // Owner `u-9` holds its email, and an old stale row for another email carries a claim whose marker is about to be pruned.
      const owner = 'u-9';
      const home = primaries[shardIdFor(owner, 3)]!;
      const [{ email_claim: claim }] = await sqlRows<{ email_claim: string }>(
        home,
        `SELECT email_claim FROM users WHERE user_id = '${owner}'`,
      );
      await sql(home, `UPDATE user_email_claims SET created_at = now() - interval '8 days' WHERE claim_id = '${claim}'`);
      await sql(
        home,
        `INSERT INTO user_email_claims (claim_id, user_id, state, created_at)
         VALUES ('old-stale-claim', '${owner}', 'applied', now() - interval '8 days'),
                ('fresh-claim', '${owner}', 'fenced', now() - interval '6 days')`,
      );
      const staleEmail = 'long-gone@x.io';
      const lookupShard = primaries[shardIdFor(staleEmail, 3)]!;
      await sql(
        lookupShard,
        `INSERT INTO user_emails (email_lower, user_id, claim_id, created_at, expires_at)
         VALUES ('${staleEmail}', '${owner}', 'old-stale-claim', now() - interval '8 days', now() - interval '8 days')`,
      );
      // An old marker of a user this shard does not own (a reshard's leftover, written as the reshard tool writes, past the
      // guard): left to the reshard's cleanup, since the guard would refuse its deletion by a gateway.
      const foreign = Array.from({ length: USERS }, (_, i) => `u-${i}`).find((id) => shardIdFor(id, 3) !== shardIdFor(owner, 3))!;
      await sql(
        home,
        `SET application_name = '${RESHARD_APPLICATION_NAME}';
         INSERT INTO user_email_claims (claim_id, user_id, state, created_at) VALUES ('foreign-claim', '${foreign}', 'applied', now() - interval '8 days')`,
      );

      const result = await pruneEmailClaims(fx.shards.db);
      expect(result.failed).toEqual([]);
      expect(result.pruned).toBe(2);
      const left = await sql<{ claim_id: string }>(
        home,
        `SELECT claim_id FROM user_email_claims WHERE claim_id IN ('${claim}', 'old-stale-claim', 'fresh-claim', 'foreign-claim') ORDER BY claim_id`,
      );
      expect(left.map((r) => r.claim_id)).toEqual(['foreign-claim', 'fresh-claim']);
      expect((await pruneEmailClaims(fx.shards.db)).pruned).toBe(0);

      // The owner still holds its email: found, marker or not.
      const [{ email }] = await sqlRows<{ email: string }>(home, `SELECT email FROM users WHERE user_id = '${owner}'`);
      expect((await fx.gql(`{ usersByEmail(email: "${email}") { userId } }`)).data.usersByEmail).toEqual([{ userId: owner }]);
      // The stale row lost its marker: its lease is over, so it is fenced, the owner's row read again, and it goes.
      expect((await fx.gql(`{ usersByEmail(email: "${staleEmail}") { userId } }`)).data.usersByEmail).toEqual([]);
      await eventually(
        async () => (await sql(lookupShard, `SELECT 1 FROM user_emails WHERE email_lower = '${staleEmail}'`)).length === 0,
        10_000,
        'the stale row repaired without its marker',
      );
      expect(await sql<{ state: string }>(home, "SELECT state FROM user_email_claims WHERE claim_id = 'old-stale-claim'")).toEqual([
        { state: 'fenced' },
      ]);
      // The email is free again for anyone.
      const c = await fx.gql(`mutation { createUser(input: { userId: "newcomer", name: "N", email: "${staleEmail}" }) { userId } }`);
      expect(c.errors).toBeUndefined();
      expect((await fx.gql(`{ usersByEmail(email: "${staleEmail}", consistency: STRONG) { userId } }`)).data.usersByEmail).toEqual([
        { userId: 'newcomer' },
      ]);
    } finally {
      await fx.close();
    }
  }, 60_000);
});
