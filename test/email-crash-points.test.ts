import { writeFile } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topology } from '../src/config/topology.js';
import { enforceUniqueEmails } from '../src/repository/email-backfill.js';
import type { StatementObserver } from '../src/repository/statement-observer.js';
import { emailLookupKey } from '../src/sharding/email-lookup-key.js';
import { fnv1a32 } from '../src/sharding/fnv1a32.js';
import { eventually, openGatewayFixture, testGatewayOptions, type GatewayFixture } from './support/gateway-fixture.js';
import { useSharedDatabase, type SharedDatabase } from './support/use-shared-database.js';

/*
 * The crash points of the email protocol: the gateway's connection to one
 * shard goes dark at the exact moment between the two shards' writes (a
 * proxy in front of every primary, switched by a statement observer at the
 * door). After each, the invariants: the user is findable by the email it
 * holds, no user is returned for an email it does not hold, and the email is
 * not blocked for good. Unique emails are on, so that a leftover claim would
 * show as a blocked email.
 */

type Mode = 'pass' | 'black-hole' | 'drop-replies';

/** A TCP proxy that forwards, drops everything (a dead link: connections hang), or forwards requests but drops the answers. */
class FaultProxy {
  private mode: Mode = 'pass';
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<FaultProxy> {
    let proxy: FaultProxy | null = null;
    const server = createServer((down) => proxy!.accept(down, targetPort));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new FaultProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  set(mode: Mode): void {
    this.mode = mode;
  }

  /** Back to forwarding; the connections that saw the fault are dropped (their protocol state is lost). */
  heal(): void {
    if (this.mode === 'pass') return;
    this.mode = 'pass';
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.heal();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(down: Socket, port: number): void {
    const up = connect(port, '127.0.0.1');
    this.sockets.add(down).add(up);
    down.on('data', (chunk) => {
      if (this.mode !== 'black-hole') up.write(chunk);
    });
    up.on('data', (chunk) => {
      if (this.mode === 'pass') down.write(chunk);
    });
    const end = () => {
      this.sockets.delete(down);
      this.sockets.delete(up);
      down.destroy();
      up.destroy();
    };
    for (const s of [down, up]) {
      s.on('error', end);
      s.on('close', end);
    }
  }
}

const SHARDS = 3;
const DEADLINE = { 'shardgate-timeout-ms': '1500' };
let db: SharedDatabase;
let fx: GatewayFixture;
const proxies: FaultProxy[] = [];
/** Run once when a statement of that name starts / has succeeded at the door. */
const onStart = new Map<string, () => void>();
const onSuccess = new Map<string, () => void>();

const idOnShard = (shardId: number, prefix: string) => {
  for (let i = 0; ; i++) if (fnv1a32(`${prefix}-${i}`) % SHARDS === shardId) return `${prefix}-${i}`;
};
const emailOnShard = (shardId: number, prefix: string) => {
  for (let i = 0; ; i++) if (fnv1a32(emailLookupKey(`${prefix}-${i}@x.io`)) % SHARDS === shardId) return `${prefix}-${i}@x.io`;
};

const create = (userId: string, email: string, headers?: Record<string, string>) =>
  fx.gql('mutation($i: CreateUserInput!) { createUser(input: $i) { userId } }', { i: { userId, name: 'N', email } }, headers);
const update = (userId: string, email: string, headers?: Record<string, string>) =>
  fx.gql(
    'mutation($u: ID!, $e: String!) { updateUser(userId: $u, input: { email: $e }) { userId email } }',
    { u: userId, e: email },
    headers,
  );
const holders = async (email: string) => {
  const r = await fx.gql(`{ usersByEmail(email: ${JSON.stringify(email)}, consistency: STRONG) { userId email } }`);
  expect(r.errors).toBeUndefined();
  return r.data.usersByEmail as { userId: string; email: string }[];
};
/** The user's row as its primary has it, read around the gateway. */
async function storedEmail(userId: string): Promise<string | null> {
  const node = (db.topology as Topology).shards[fnv1a32(userId) % SHARDS]!.primary;
  const client = new pg.Client({ host: node.host, port: node.port, user: node.user, database: db.dbname });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT email FROM users WHERE user_id = $1', [userId]);
    return rows[0]?.email ?? null;
  } finally {
    await client.end();
  }
}
/** A statement on the shard, so that its pool holds a connection opened before the fault. */
const warm = (shardId: number) => fx.gql(`{ user(userId: "${idOnShard(shardId, 'warm')}", consistency: STRONG) { userId } }`);

beforeAll(async () => {
  db = await useSharedDatabase('email_crash');
  const topology = db.topology as Topology;
  for (const shard of topology.shards) proxies.push(await FaultProxy.start(shard.primary.port));
  // Every statement through a proxy: the primaries only (a replica would answer reads around the fault).
  const proxied = {
    shards: topology.shards.map((s, i) => ({ shardId: s.shardId, primary: { ...s.primary, port: proxies[i]!.port }, replicas: [] })),
  };
  const path = join(dirname(db.topologyPath), `${db.dbname}-proxied.json`);
  await writeFile(path, `${JSON.stringify(proxied, null, 2)}\n`);
  fx = await openGatewayFixture(path, { ...testGatewayOptions(), emails: { unique: true } });
  await enforceUniqueEmails(fx.shards.db);
  const hooks: StatementObserver = {
    onStart(event) {
      const name = event.statement.name;
      onStart.get(name)?.();
      onStart.delete(name);
      return (outcome) => {
        if (outcome.outcome !== 'ok') return;
        onSuccess.get(name)?.();
        onSuccess.delete(name);
      };
    },
  };
  fx.shards.db.addObserver(hooks);
});
afterAll(async () => {
  await fx?.close();
  for (const p of proxies) await p.close();
});

/** Lets the fault last until the request has given up, then heals every proxy. */
async function healed<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } finally {
    for (const p of proxies) p.heal();
    onStart.clear();
    onSuccess.clear();
    // The pool finds the connections the fault broke as it uses them: every shard answers again before the checks.
    await eventually(async () => (await fx.gql('{ shards { userCount } }')).errors === undefined, 10_000, 'every shard to answer');
  }
}

describe('crash points of createUser', () => {
  it('claim written, then the user shard goes dark: no user, nobody returned for the email, the email free again later', async () => {
    const userId = idOnShard(1, 'cp1');
    const email = emailOnShard(2, 'cp1');
    onSuccess.set('emails_claim_unique', () => proxies[1]!.set('black-hole'));
    const r = await healed(create(userId, email, DEADLINE));
    expect(r.errors?.[0]?.extensions?.code).toMatch(/^SHARD_(TIMEOUT|UNAVAILABLE)$/);
    expect(await storedEmail(userId)).toBeNull();
    expect(await holders(email)).toEqual([]);
    // Another user gets the email once the dead write's time is over (its lease), and the first one can never land.
    const taker = idOnShard(0, 'cp1-taker');
    await eventually(async () => (await create(taker, email)).errors === undefined, 15_000, 'the claim to be taken over');
    expect(await holders(email)).toEqual([{ userId: taker, email }]);
  });

  it('users row written, then its answer lost: the request fails, but the user is findable by its email', async () => {
    const userId = idOnShard(2, 'cp2');
    const email = emailOnShard(0, 'cp2');
    await warm(2);
    onStart.set('users_insert_claimed', () => proxies[2]!.set('drop-replies'));
    const r = await healed(create(userId, email, DEADLINE));
    expect(r.errors?.[0]?.extensions?.code).toMatch(/^SHARD_(TIMEOUT|UNAVAILABLE)$/);
    expect(await storedEmail(userId)).toBe(email);
    expect(await holders(email)).toEqual([{ userId, email }]);
    // The client's retry is told the truth, and the email stays its.
    expect((await create(userId, email)).errors?.[0]?.extensions?.code).toBe('USER_ALREADY_EXISTS');
    expect((await create(idOnShard(1, 'cp2-other'), email)).errors?.[0]?.extensions?.code).toBe('EMAIL_ALREADY_EXISTS');
  });
});

describe('crash points of updateUser', () => {
  it('new email claimed, then the user shard goes dark: the user keeps its old email, findable; the new one is free later', async () => {
    const userId = idOnShard(0, 'cp3');
    const before = emailOnShard(1, 'cp3-old');
    const after = emailOnShard(2, 'cp3-new');
    expect((await create(userId, before)).errors).toBeUndefined();
    onSuccess.set('emails_claim_unique', () => proxies[0]!.set('black-hole'));
    const r = await healed(update(userId, after, DEADLINE));
    expect(r.errors?.[0]?.extensions?.code).toMatch(/^SHARD_(TIMEOUT|UNAVAILABLE)$/);
    expect(await storedEmail(userId)).toBe(before);
    expect(await holders(before)).toEqual([{ userId, email: before }]);
    expect(await holders(after)).toEqual([]);
    const taker = idOnShard(1, 'cp3-taker');
    await eventually(async () => (await create(taker, after)).errors === undefined, 15_000, 'the new email to be free');
  });

  it('users row written, then the old email’s lookup shard goes dark: the update stands, the old email is free at once', async () => {
    const userId = idOnShard(1, 'cp4');
    const before = emailOnShard(0, 'cp4-old');
    const after = emailOnShard(2, 'cp4-new');
    expect((await create(userId, before)).errors).toBeUndefined();
    onSuccess.set('users_update_claimed', () => proxies[0]!.set('black-hole'));
    const r = await healed(update(userId, after, DEADLINE));
    // The clean-up of the old email never fails the write.
    expect(r.errors).toBeUndefined();
    expect(r.data.updateUser).toEqual({ userId, email: after });
    expect(await holders(after)).toEqual([{ userId, email: after }]);
    // The leftover row of the old email: never returned, and no obstacle.
    expect(await holders(before)).toEqual([]);
    expect((await create(idOnShard(2, 'cp4-taker'), before)).errors).toBeUndefined();
  });
});

describe('crash points of deleteUser', () => {
  it('users row deleted, then the lookup shard goes dark: deleted, nobody returned, the email free at once', async () => {
    const userId = idOnShard(2, 'cp5');
    const email = emailOnShard(1, 'cp5');
    expect((await create(userId, email)).errors).toBeUndefined();
    onSuccess.set('users_delete_claimed', () => proxies[1]!.set('black-hole'));
    const r = await healed(fx.gql(`mutation { deleteUser(userId: "${userId}") }`, undefined, DEADLINE));
    expect(r.errors).toBeUndefined();
    expect(r.data.deleteUser).toBe(true);
    expect(await holders(email)).toEqual([]);
    expect((await create(idOnShard(0, 'cp5-taker'), email)).errors).toBeUndefined();
  });
});
