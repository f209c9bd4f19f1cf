import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrateCommand } from '../src/cli/migrate-command.js';
import { UPDATE_USER_CLAIMED } from '../src/repository/email-statements.js';
import { SELECT_USER_BY_ID } from '../src/repository/user-statements.js';
import { statement } from '../src/repository/statement.js';
import { ReadPolicy } from '../src/sharding/read-policy.js';
import { decodeToken } from '../src/sharding/consistency-token.js';
import { emailLookupKey } from '../src/sharding/email-lookup-key.js';
import { fnv1a32 } from '../src/sharding/fnv1a32.js';
import { openGatewayFixture, testGatewayOptions, type GatewayFixture } from './support/gateway-fixture.js';
import { useSharedDatabase, type SharedDatabase } from './support/use-shared-database.js';

// The email lookup over the shared 3-shard cluster: what a client sees, what
// each write leaves in user_emails, read repair, and `shardgate migrate`.
let db: SharedDatabase;
let fx: GatewayFixture;
let other: GatewayFixture;

const SHARDS = 3;
const idOnShard = (shardId: number, prefix: string) => {
  for (let i = 0; ; i++) if (fnv1a32(`${prefix}-${i}`) % SHARDS === shardId) return `${prefix}-${i}`;
};
/** An email whose lookup row lives on `shardId`. */
const emailOnShard = (shardId: number, prefix: string) => {
  for (let i = 0; ; i++) if (fnv1a32(emailLookupKey(`${prefix}-${i}@x.io`)) % SHARDS === shardId) return `${prefix}-${i}@x.io`;
};

const USER = '{ userId email shardId }';
const byEmail = (f: GatewayFixture, email: string, extra = '', headers?: Record<string, string>) =>
  f.gql(`{ usersByEmail(email: ${JSON.stringify(email)}${extra}) ${USER} }`, undefined, headers);
const create = (f: GatewayFixture, userId: string, email: string) =>
  f.gql('mutation($i: CreateUserInput!) { createUser(input: $i) { userId } }', { i: { userId, name: 'N', email } });
const update = (f: GatewayFixture, userId: string, email: string) =>
  f.gql('mutation($u: ID!, $e: String!) { updateUser(userId: $u, input: { email: $e }) { userId email } }', { u: userId, e: email });

/** The lookup rows of an email, read on its lookup shard's primary. */
async function lookupRows(email: string): Promise<{ user_id: string; claim_id: string | null }[]> {
  const key = emailLookupKey(email);
  const { rows } = await fx.shards.db.read<{ user_id: string; claim_id: string | null }>(
    fx.shards.manager.shardIdOf(key),
    ReadPolicy.PrimaryOnly,
    statement('t_lookup_rows', 'SELECT', 'SELECT user_id, claim_id FROM user_emails WHERE email_lower = $1 ORDER BY user_id', false),
    [key],
  );
  return rows;
}

beforeAll(async () => {
  db = await useSharedDatabase('email_lookup');
  fx = await openGatewayFixture(db.topologyPath);
  other = await openGatewayFixture(db.topologyPath);
});
afterAll(async () => {
  await other?.close();
  await fx?.close();
});

describe('usersByEmail', () => {
  it('finds a user by its email in any case, with one statement on the lookup shard and one on the owner shard', async () => {
    const userId = idOnShard(1, 'find');
    const email = emailOnShard(2, 'Find.Me');
    expect((await create(fx, userId, email)).errors).toBeUndefined();
    fx.recorder.reset();
    const r = await byEmail(fx, email.toUpperCase(), ', consistency: STRONG');
    expect(r.errors).toBeUndefined();
    expect(r.data.usersByEmail).toEqual([{ userId, email, shardId: 1 }]);
    expect(fx.recorder.of().map((s) => `${s.statement}@${s.shardId}`)).toEqual(['emails_find@2', `${SELECT_USER_BY_ID.name}@1`]);
    // Never a scatter.
    expect(fx.recorder.of().every((s) => s.role === 'primary')).toBe(true);
    expect((await byEmail(fx, 'nobody@x.io')).data.usersByEmail).toEqual([]);
  });

  it('reads an owner that lives on the lookup shard in the same statement as its lookup row: one statement', async () => {
    const userId = idOnShard(2, 'beside');
    const email = emailOnShard(2, 'Beside');
    const created = await fx.app.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation { createUser(input: { userId: "${userId}", name: "N", email: "${email}" }) { userId } }` }),
    });
    expect(((await created.json()) as { errors?: unknown }).errors).toBeUndefined();
    // The EVENTUAL read carries the create's token: a replica that has not replayed it yet is not read (nor is the test racing replication).
    const token = created.headers.get('shardgate-consistency-token');
    expect(token).not.toBeNull();
    for (const consistency of ['STRONG', 'EVENTUAL']) {
      fx.recorder.reset();
      const headers = consistency === 'EVENTUAL' ? { 'shardgate-consistency-token': token! } : undefined;
      const r = await byEmail(fx, email.toLowerCase(), `, consistency: ${consistency}`, headers);
      expect(r.errors).toBeUndefined();
      expect(r.data.usersByEmail).toEqual([{ userId, email, shardId: 2 }]);
      expect(fx.recorder.of().map((s) => `${s.statement}@${s.shardId}`)).toEqual(['emails_find@2']);
    }
    // A lookup row whose owner would live there but does not exist (a create that never landed): the same
    // statement says so, no users statement follows, and nobody is returned.
    const ghost = idOnShard(2, 'ghost');
    await fx.shards.db.write(
      2,
      statement(
        't_ghost_claim',
        'INSERT',
        "INSERT INTO user_emails (email_lower, user_id, claim_id, expires_at) VALUES ($1, $2, 'ghost', now() + interval '1 minute')",
        false,
      ),
      [emailLookupKey(email), ghost],
    );
    fx.recorder.reset();
    const r = await byEmail(fx, email, ', consistency: STRONG');
    expect(r.data.usersByEmail).toEqual([{ userId, email, shardId: 2 }]);
    expect(fx.recorder.of().filter((s) => s.statement.startsWith('users_'))).toEqual([]);
  });

  it('returns every holder of a shared email ordered by userId, and batches the owners with the other id lookups', async () => {
    const email = emailOnShard(0, 'shared');
    const ids = [idOnShard(2, 'zz-shared'), idOnShard(0, 'aa-shared'), idOnShard(1, 'mm-shared')];
    for (const id of ids) expect((await create(fx, id, id.startsWith('mm') ? email.toUpperCase() : email)).errors).toBeUndefined();
    fx.recorder.reset();
    const r = await fx.gql(
      `{ usersByEmail(email: "${email}", consistency: STRONG) { userId } user(userId: "${ids[0]}", consistency: STRONG) { userId } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.usersByEmail.map((u: { userId: string }) => u.userId)).toEqual([...ids].sort());
    // The lookup, then at most one statement per owner shard, and never more than the estimate (1 + one per shard).
    expect(fx.recorder.of('emails_find')).toHaveLength(1);
    expect(fx.recorder.of().length).toBeLessThanOrEqual(1 + SHARDS + 1);
  });

  it('refuses a malformed email before any SQL', async () => {
    fx.recorder.reset();
    const r = await byEmail(fx, 'not-an-email');
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
    expect(fx.recorder.of()).toEqual([]);
  });
});

describe('every email write keeps the lookup right', () => {
  it('updateUser moves the user from the old email to the new one; deleteUser removes it', async () => {
    const userId = idOnShard(0, 'mover');
    const before = emailOnShard(1, 'before');
    const after = emailOnShard(2, 'after');
    expect((await create(fx, userId, before)).errors).toBeUndefined();
    const u = await update(fx, userId, after);
    expect(u.errors).toBeUndefined();
    expect(u.data.updateUser).toEqual({ userId, email: after });
    expect((await byEmail(fx, before, ', consistency: STRONG')).data.usersByEmail).toEqual([]);
    expect((await byEmail(fx, after, ', consistency: STRONG')).data.usersByEmail).toEqual([{ userId, email: after, shardId: 0 }]);
    expect(await lookupRows(before)).toEqual([]);
    expect((await lookupRows(after)).map((r) => r.user_id)).toEqual([userId]);
    // A new case of the same email keeps its one row.
    expect((await update(fx, userId, after.toUpperCase())).errors).toBeUndefined();
    expect((await lookupRows(after)).map((r) => r.user_id)).toEqual([userId]);
    // A name-only update does not touch the lookup.
    fx.recorder.reset();
    await fx.gql(`mutation { updateUser(userId: "${userId}", input: { name: "Renamed" }) { name } }`);
    expect(fx.recorder.of().map((s) => s.statement)).toEqual(['users_update']);

    expect((await fx.gql(`mutation { deleteUser(userId: "${userId}") }`)).data.deleteUser).toBe(true);
    expect(await lookupRows(after)).toEqual([]);
    expect((await byEmail(fx, after, ', consistency: STRONG')).data.usersByEmail).toEqual([]);
  });

  it('a write answers a token covering the lookup shard too; another gateway reading with it sees the new email', async () => {
    const userId = idOnShard(2, 'tokened');
    const first = emailOnShard(2, 'first');
    const next = emailOnShard(0, 'next');
    expect((await create(fx, userId, first)).errors).toBeUndefined();
    const response = await fx.app.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation { updateUser(userId: "${userId}", input: { email: "${next}" }) { userId } }` }),
    });
    const token = response.headers.get('shardgate-consistency-token');
    expect(token).not.toBeNull();
    // The new email's lookup shard (0) and the user's shard (2), and the old email's lookup shard (2, its release).
    expect(
      decodeToken(token!, SHARDS)
        .map((p) => p.shardId)
        .sort(),
    ).toEqual([0, 2]);
    const seen = await byEmail(other, next, '', { 'shardgate-consistency-token': token! });
    expect(seen.errors).toBeUndefined();
    expect(seen.data.usersByEmail).toEqual([{ userId, email: next, shardId: 2 }]);
    expect((await byEmail(other, first, '', { 'shardgate-consistency-token': token! })).data.usersByEmail).toEqual([]);
  });

  it('a lookup row whose owner does not hold the email is never returned, and is repaired once its write can no longer land', async () => {
    const userId = idOnShard(1, 'holder');
    const real = emailOnShard(0, 'real');
    const ghost = emailOnShard(1, 'ghost');
    expect((await create(fx, userId, real)).errors).toBeUndefined();
    // Stale rows as a crash leaves them: a claim for an email the user never got, and one for a user that does not exist.
    const key = emailLookupKey(ghost);
    await fx.shards.db.write(
      fx.shards.manager.shardIdOf(key),
      statement(
        't_stale',
        'INSERT',
        "INSERT INTO user_emails (email_lower, user_id, claim_id, expires_at) VALUES ($1, $2, 'c-1', now() - interval '1 s'), ($1, 'nobody', 'c-2', now() - interval '1 s'), ($1, 'in-flight', 'c-3', now() + interval '1 h')",
        false,
      ),
      [key, userId],
    );
    const r = await byEmail(fx, ghost, ', consistency: STRONG');
    expect(r.errors).toBeUndefined();
    expect(r.data.usersByEmail).toEqual([]);
    await fx.shards.users.emails.settled();
    // The settled ones went; the one whose request may still be running stays (it is only skipped).
    expect((await lookupRows(ghost)).map((x) => x.user_id)).toEqual(['in-flight']);
    // The users write of that claim, arriving after the repair fenced it, changes nothing.
    const late = await fx.shards.db.write<{ claimed: boolean; found: boolean }>(fx.shards.manager.shardIdOf(userId), UPDATE_USER_CLAIMED, [
      userId,
      null,
      ghost,
      'c-1',
    ]);
    expect(late.rows[0]).toMatchObject({ found: true, claimed: false });
    expect((await byEmail(fx, real, ', consistency: STRONG')).data.usersByEmail).toEqual([{ userId, email: real, shardId: 1 }]);
  });
});

describe('limits and errors', () => {
  it('counts usersByEmail in the statement estimate', async () => {
    const options = testGatewayOptions();
    const tight = await openGatewayFixture(db.topologyPath, {
      ...options,
      safety: { ...options.safety, limits: { ...options.safety.limits, maxStatements: 3 } },
    });
    try {
      const r = await byEmail(tight, 'a@x.io');
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'OPERATION_TOO_COMPLEX', limit: 'statements', max: 3 });
      expect(tight.recorder.of()).toEqual([]);
    } finally {
      await tight.close();
    }
  });
});

describe('shardgate migrate', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
  };
  const resetBackfill = async () => {
    for (const shard of fx.shards.manager.allShards()) {
      await fx.shards.db.write(shard.id, statement('t_truncate', 'DDL', 'TRUNCATE user_emails, shardgate_email_backfill', false), []);
    }
  };
  const totalRows = async () => {
    let n = 0;
    for (const shard of fx.shards.manager.allShards()) {
      const { rows } = await fx.shards.db.read<{ n: string }>(
        shard.id,
        ReadPolicy.PrimaryOnly,
        statement('t_count', 'SELECT', 'SELECT count(*)::int8 AS n FROM user_emails', false),
        [],
      );
      n += Number(rows[0]!.n);
    }
    return n;
  };
  const totalUsers = async () => (await fx.gql('{ users(first: 0, consistency: STRONG) { totalCount } }')).data.users.totalCount as number;

  it('backfills the lookup from existing users in batches with progress, and resumes where it stopped', async () => {
    for (let i = 0; i < 25; i++) expect((await create(fx, `bulk-${i}`, `Bulk-${i}@x.io`)).errors).toBeUndefined();
    await resetBackfill();
    expect((await byEmail(fx, 'bulk-3@x.io', ', consistency: STRONG')).data.usersByEmail).toEqual([]);
    // A run that stopped half-way on shard 0: its cursor says where.
    const first = io();
    expect(await runMigrateCommand(['--config', db.topologyPath, '--batch-size', '4'], first.io)).toBe(0);
    expect(first.out.some((l) => /^email lookup: shard \d: \d+\/\d+ users \(\d+%\)/.test(l))).toBe(true);
    expect(await totalRows()).toBe(await totalUsers());
    expect((await byEmail(fx, 'BULK-3@x.io', ', consistency: STRONG')).data.usersByEmail.map((u: { userId: string }) => u.userId)).toEqual([
      'bulk-3',
    ]);

    // Resumable: lose the lookup of shard 0's users after its cursor, and say the backfill stopped there.
    const again = io();
    expect(await runMigrateCommand(['--config', db.topologyPath], again.io)).toBe(0);
    expect(again.out.filter((l) => l.includes('backfilled in an earlier run'))).toHaveLength(SHARDS);
    expect(again.out).toContain('email lookup: 0 row(s) added');
    await resetBackfill();
    const cursor = 'bulk-2';
    await fx.shards.db.write(
      0,
      statement('t_cursor', 'INSERT', 'INSERT INTO shardgate_email_backfill (cursor, copied, done) VALUES ($1, 1, false)', false),
      [cursor],
    );
    const resumed = io();
    expect(await runMigrateCommand(['--config', db.topologyPath], resumed.io)).toBe(0);
    // Shard 0's users at or before the cursor were not read again.
    const shard0Before = (
      await fx.shards.db.read<{ user_id: string }>(
        0,
        ReadPolicy.PrimaryOnly,
        statement('t_before', 'SELECT', 'SELECT user_id FROM users WHERE user_id <= $1', false),
        [cursor],
      )
    ).rows.map((r) => r.user_id);
    expect(await totalRows()).toBe((await totalUsers()) - shard0Before.length);
  });

  it('with unique emails on, refuses while an email has two holders and lists them; turns them on once fixed', async () => {
    const email = emailOnShard(1, 'twice');
    const [a, b] = [idOnShard(0, 'twice-a'), idOnShard(2, 'twice-b')];
    expect((await create(fx, a, email)).errors).toBeUndefined();
    expect((await create(fx, b, email.toUpperCase())).errors).toBeUndefined();
    // A stale claim of the same email is no duplicate: it is repaired on the way.
    await fx.shards.db.write(
      fx.shards.manager.shardIdOf(emailLookupKey(email)),
      statement('t_stale2', 'INSERT', "INSERT INTO user_emails (email_lower, user_id, claim_id) VALUES ($1, 'ghost-user', 'g-1')", false),
      [emailLookupKey(email)],
    );
    const previous = process.env.SHARDGATE_UNIQUE_EMAILS;
    process.env.SHARDGATE_UNIQUE_EMAILS = 'true';
    try {
      const refused = io();
      expect(await runMigrateCommand(['--config', db.topologyPath], refused.io)).toBe(1);
      expect(refused.err[0]).toMatch(/unique emails: NOT turned on: \d+ email\(s\) are held by more than one user/);
      expect(refused.err).toContain(`  ${emailLookupKey(email)}: ${[a, b].sort().join(', ')}`);
      expect(refused.err.join('\n')).not.toContain('ghost-user');
      // The other duplicates of this database (shared emails of earlier tests) go too.
      for (const line of refused.err.filter((l) => l.startsWith('  '))) {
        const [, ids] = line.trim().split(': ');
        for (const id of ids!.split(', ').slice(1)) await fx.gql(`mutation { deleteUser(userId: "${id}") }`);
      }
      const ok = io();
      expect(await runMigrateCommand(['--config', db.topologyPath], ok.io)).toBe(0);
      expect(ok.out.at(-1)).toMatch(/^unique emails: turned on/);
      const unique = await openGatewayFixture(db.topologyPath, { ...testGatewayOptions(), emails: { unique: true } });
      try {
        expect(unique.shards.users.emails.options.unique).toBe(true);
        const r = await create(unique, idOnShard(1, 'twice-c'), email.toUpperCase());
        expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'EMAIL_ALREADY_EXISTS', field: 'input.email' });
      } finally {
        await unique.close();
      }
    } finally {
      if (previous === undefined) delete process.env.SHARDGATE_UNIQUE_EMAILS;
      else process.env.SHARDGATE_UNIQUE_EMAILS = previous;
    }
  });
});
