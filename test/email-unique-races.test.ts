import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enforceUniqueEmails } from '../src/repository/email-backfill.js';
import { INSERT_USER_CLAIMED } from '../src/repository/email-statements.js';
import { createRequestScope } from '../src/repository/request-scope.js';
import { statement } from '../src/repository/statement.js';
import { emailLookupKey } from '../src/sharding/email-lookup-key.js';
import { fnv1a32 } from '../src/sharding/fnv1a32.js';
import { ReadPolicy } from '../src/sharding/read-policy.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { eventually, openGatewayFixture, testGatewayOptions, type GatewayFixture } from './support/gateway-fixture.js';

// Unique emails under contention, on a cluster of its own: 4 shards (the
// claimants spread over all of them), replicas that apply WAL late on
// purpose in the last test.
const SHARDS = 4;
const CLAIMANTS = 12;
const CREATE_ROUNDS = 50;
const UPDATE_ROUNDS = 25;

let cluster: ThrowawayCluster;
let a: GatewayFixture;
let b: GatewayFixture;

const idOnShard = (shardId: number, prefix: string) => {
  for (let i = 0; ; i++) if (fnv1a32(`${prefix}-${i}`) % SHARDS === shardId) return `${prefix}-${i}`;
};
/** Twelve user ids, three on each shard. */
const claimants = (prefix: string) => Array.from({ length: CLAIMANTS }, (_, i) => idOnShard(i % SHARDS, `${prefix}-c${i}`));

const create = (f: GatewayFixture, userId: string, email: string) =>
  f.gql('mutation($i: CreateUserInput!) { createUser(input: $i) { userId } }', { i: { userId, name: 'N', email } });
const update = (f: GatewayFixture, userId: string, email: string) =>
  f.gql('mutation($u: ID!, $e: String!) { updateUser(userId: $u, input: { email: $e }) { userId } }', { u: userId, e: email });
const holders = async (email: string, headers?: Record<string, string>) => {
  const r = await a.gql(`{ usersByEmail(email: ${JSON.stringify(email)}, consistency: STRONG) { userId } }`, undefined, headers);
  expect(r.errors).toBeUndefined();
  return (r.data.usersByEmail as { userId: string }[]).map((u) => u.userId);
};
const lookupRowCount = async (email: string) => {
  const key = emailLookupKey(email);
  const { rows } = await a.shards.db.read<{ n: string }>(
    a.shards.manager.shardIdOf(key),
    ReadPolicy.PrimaryOnly,
    statement('t_rows', 'SELECT', 'SELECT count(*)::int8 AS n FROM user_emails WHERE email_lower = $1', false),
    [key],
  );
  return Number(rows[0]!.n);
};

beforeAll(async () => {
  cluster = await startThrowawayCluster({ shards: SHARDS, replicas: 1, name: 'email-races' });
  const options = { ...testGatewayOptions(), emails: { unique: true } };
  a = await openGatewayFixture(cluster.topologyPath, options);
  b = await openGatewayFixture(cluster.topologyPath, options);
  expect((await enforceUniqueEmails(a.shards.db)).created).toEqual([0, 1, 2, 3]);
});
afterAll(async () => {
  await b?.close();
  await a?.close();
  await cluster?.destroy();
});

describe('unique emails under contention', () => {
  it(`${CLAIMANTS} simultaneous createUser of one email for users on ${SHARDS} shards: exactly one wins, every round`, async () => {
    for (let round = 0; round < CREATE_ROUNDS; round++) {
      const email = `Race-${round}@x.io`;
      const ids = claimants(`create-${round}`);
      const answers = await Promise.all(ids.map((id, i) => create(i % 2 ? a : b, id, i % 3 ? email : email.toUpperCase())));
      const won = ids.filter((_, i) => answers[i]!.errors === undefined);
      expect(won, `round ${round}`).toHaveLength(1);
      for (const [i, r] of answers.entries()) {
        if (ids[i] === won[0]) continue;
        expect(r.errors?.[0]?.extensions, `round ${round}`).toMatchObject({ code: 'EMAIL_ALREADY_EXISTS', field: 'input.email' });
      }
      expect(await holders(email)).toEqual(won);
      // The losers changed nothing.
      const losers = ids.filter((id) => id !== won[0]);
      const found = await a.gql('query($ids: [ID!]!) { usersByIds(userIds: $ids, consistency: STRONG) { userId } }', { ids: losers });
      expect(found.data.usersByIds).toEqual(losers.map(() => null));
      expect(await lookupRowCount(email)).toBe(1);
    }
    console.log(`createUser race: ${CREATE_ROUNDS} rounds of ${CLAIMANTS} claimants, one winner each`);
  });

  it(`${CLAIMANTS} simultaneous updateUser to one email: exactly one wins, the others keep their own`, async () => {
    for (let round = 0; round < UPDATE_ROUNDS; round++) {
      const ids = claimants(`update-${round}`);
      for (const id of ids) expect((await create(a, id, `${id}@own.io`)).errors).toBeUndefined();
      const email = `Wanted-${round}@x.io`;
      const answers = await Promise.all(ids.map((id, i) => update(i % 2 ? a : b, id, email)));
      const won = ids.filter((_, i) => answers[i]!.errors === undefined);
      expect(won, `round ${round}`).toHaveLength(1);
      expect(answers.filter((r) => r.errors?.[0]?.extensions?.code === 'EMAIL_ALREADY_EXISTS')).toHaveLength(CLAIMANTS - 1);
      expect(await holders(email)).toEqual(won);
      for (const id of ids.filter((x) => x !== won[0])) expect(await holders(`${id}@own.io`)).toEqual([id]);
      // The winner's old email is free again, at once.
      expect(await lookupRowCount(`${won[0]}@own.io`)).toBe(0);
      expect((await create(b, idOnShard(round % SHARDS, `reuse-${round}`), `${won[0]}@own.io`)).errors).toBeUndefined();
    }
    console.log(`updateUser race: ${UPDATE_ROUNDS} rounds of ${CLAIMANTS} claimants, one winner each`);
  });

  it('an email claimed by a write that never reached its users row is claimable again once that write can no longer land', async () => {
    const email = 'crashed@x.io';
    const crashed = idOnShard(0, 'crashed');
    // What a gateway that died between the two writes leaves: a claim (its request had 500 ms left), no users row.
    const scope = createRequestScope('crashed', 64, { deadline: Date.now() + 500 });
    const claimId = await a.shards.users.forRequest(scope).emails.claim(emailLookupKey(email), crashed, 'input.email');
    const taker = idOnShard(2, 'taker');
    // While its write may still land, the claim holds.
    expect((await create(b, taker, email)).errors?.[0]?.extensions?.code).toBe('EMAIL_ALREADY_EXISTS');
    await eventually(async () => (await create(b, taker, email)).errors === undefined, 15_000, 'the stale claim to be taken over');
    expect(await holders(email)).toEqual([taker]);
    // The dead gateway's write, should it arrive now, is fenced: it writes nothing.
    const late = await a.shards.db.write(a.shards.manager.shardIdOf(crashed), INSERT_USER_CLAIMED, [crashed, 'N', email, claimId]);
    expect(late.rowCount).toBe(0);
    expect(await holders(email)).toEqual([taker]);
  });
});

describe('consistency tokens (replicas 300 ms behind)', () => {
  async function setApplyDelay(delay: string): Promise<void> {
    for (const shard of cluster.topology.shards) {
      for (const replica of shard.replicas) {
        const client = new pg.Client({ host: '127.0.0.1', port: replica.port, user: 'postgres', database: 'postgres' });
        await client.connect();
        try {
          await client.query(`ALTER SYSTEM SET recovery_min_apply_delay = '${delay}'`);
          await client.query('SELECT pg_reload_conf()');
          await eventually(
            async () => (await client.query('SHOW recovery_min_apply_delay')).rows[0].recovery_min_apply_delay === delay,
            5_000,
            'the apply delay',
          );
        } finally {
          await client.end();
        }
      }
    }
  }

  it('usersByEmail through another gateway with the token of updateUser sees the new email, every time', async () => {
    await setApplyDelay('300ms');
    try {
      const trials = 15;
      let missesWithToken = 0;
      let missesWithout = 0;
      for (let i = 0; i < trials; i++) {
        const userId = idOnShard(i % SHARDS, `tok-${i}`);
        expect((await create(a, userId, `${userId}@old.io`)).errors).toBeUndefined();
        const response = await a.app.fetch('http://gateway.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: `mutation { updateUser(userId: "${userId}", input: { email: "${userId}@new.io" }) { userId } }` }),
        });
        const token = response.headers.get('shardgate-consistency-token')!;
        expect(token).toBeTruthy();
        const read = (headers: Record<string, string>) =>
          b.gql(`{ usersByEmail(email: "${userId}@NEW.io") { userId } }`, undefined, headers).then((r) => r.data.usersByEmail);
        if ((await read({ 'shardgate-consistency-token': token })).length !== 1) missesWithToken++;
        if ((await read({})).length !== 1) missesWithout++;
      }
      console.log(`token reads of usersByEmail: ${missesWithToken}/${trials} misses with the token, ${missesWithout} without`);
      expect(missesWithToken).toBe(0);
      expect(missesWithout).toBeGreaterThan(0);
    } finally {
      await setApplyDelay('0');
    }
  });
});
