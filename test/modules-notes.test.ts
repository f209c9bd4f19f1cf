import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoUser } from '../src/cli/seed-demo-users.js';
import { fnv1a32 } from '../src/sharding/fnv1a32.js';
import { eventually } from '../testkit/eventually.js';
import { findFreePortRange } from '../testkit/free-port-range.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { enablePgStatStatements, executionsOn, onNode, resetPgStatStatements, type CountedNode } from './support/pg-stat-statements.js';

/*
 * The notes example module, loaded the way a user loads it: `shardgate
 * migrate --module`, `shardgate serve --module` (with a second module,
 * test/fixtures/modules/pins, at the same time), requests over HTTP, and
 * `shardgate reshard --module` from 2 shards to 3. Statements are counted by
 * PostgreSQL itself (pg_stat_statements on every node: a cluster of its own,
 * since the library must be preloaded).
 */

const NOTES = 'examples/modules/notes/index.js';
const PINS = 'test/fixtures/modules/pins/index.js';
const USERS = 40;
/** Users seeded: the USERS with notes, and more without, so that a batch can have 200 parents. */
const SEEDED = 200;
const TOKEN = 'shardgate-consistency-token';

let cluster: ThrowawayCluster;
let dir: string;
let fromPath: string;
let toPath: string;
let nodes: CountedNode[] = [];
let serve: ChildProcess | undefined;
let url: string;

/** One run of the CLI: its exit code and output (bounded in time). */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/shardgate.js', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`shardgate ${args.join(' ')} did not finish in 240 s: ${out} ${err}`));
    }, 240_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

async function startServe(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await findFreePortRange(1);
  const child = spawn(process.execPath, ['bin/shardgate.js', 'serve', '--port', String(port), '--host', '127.0.0.1', ...args], {
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`serve exited: ${out}`);
      return out.includes('GraphiQL:');
    },
    30_000,
    'serve to start',
  );
  return { child, url: `http://127.0.0.1:${port}/graphql` };
}

async function gql(
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; token: string | null }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: await res.json(), token: res.headers.get(TOKEN) };
}

/** Executions of statements on the notes table, per shard (primary and replicas summed), since the last reset. */
async function notesExecutions(): Promise<Map<number, number>> {
  const perShard = new Map<number, number>();
  for (const node of nodes) {
    const n = await executionsOn(node, '\\mnotes\\M');
    perShard.set(node.shardId, (perShard.get(node.shardId) ?? 0) + n);
  }
  return perShard;
}

function resetStatistics(): Promise<void> {
  return resetPgStatStatements(nodes);
}

const userIds = Array.from({ length: USERS }, (_, i) => demoUser(i + 1).userId);
const seededIds = Array.from({ length: SEEDED }, (_, i) => demoUser(i + 1).userId);

beforeAll(async () => {
  cluster = await startThrowawayCluster({ shards: 3, replicas: 1, name: 'modules-notes' });
  nodes = await enablePgStatStatements(cluster);
  dir = await mkdtemp(join(tmpdir(), 'shardgate-modules-'));
  // The gateway starts on the first 2 shards; the reshard grows it to 3.
  fromPath = join(dir, 'from.json');
  toPath = join(dir, 'to.json');
  const shards = (cluster.topology as unknown as { shards: unknown[] }).shards;
  await writeFile(fromPath, JSON.stringify({ shards: shards.slice(0, 2) }, null, 2));
  await writeFile(toPath, JSON.stringify({ shards }, null, 2));
}, 300_000);

afterAll(async () => {
  if (serve && serve.exitCode === null) serve.kill('SIGKILL');
  await cluster?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('modules that cannot be used: one message naming the module, exit 1, nothing applied or served', () => {
  const broken = async (name: string, text: string) => {
    const path = join(dir, `${name}.js`);
    await writeFile(path, text);
    return path;
  };

  it('syntax error, no default export, no name, two of one name, a table or type taken, a failing migration', async () => {
    const cases: [string[], RegExp][] = [
      [[await broken('syntax', 'export default { name: "x", ')], /^error: module .*syntax\.js: cannot be loaded: .+/],
      [[await broken('nodefault', 'export const name = "x";')], /^error: module .*nodefault\.js: no default export/],
      [[await broken('noname', 'export default { migrations: [] };')], /^error: module .*noname\.js: no name/],
      [
        [NOTES, await broken('notes2', 'export default { name: "notes" };')],
        /^error: module "notes" \(.*notes2\.js\): the name is taken by examples\/modules\/notes\/index\.js/,
      ],
      [
        [NOTES, await broken('tableclash', 'export default { name: "other", tables: [{ table: "notes", ownerColumn: "user_id" }] };')],
        /^error: module "other" \(.*tableclash\.js\): table notes is declared by module "notes" too/,
      ],
      [
        [await broken('owntable', 'export default { name: "mine", tables: [{ table: "orders", ownerColumn: "user_id" }] };')],
        /^error: module "mine" \(.*owntable\.js\): table orders is the gateway's own/,
      ],
      [
        [
          NOTES,
          await broken(
            'typeclash',
            'export default { name: "dup", schema(api) { api.builder.objectRef("Note").implement({ fields: (t) => ({ x: t.string({ resolve: () => "" }) }) }); } };',
          ),
        ],
        /^error: module "dup" \(.*typeclash\.js\): its schema function failed: .*Note/,
      ],
      [
        [
          NOTES,
          await broken(
            'fieldclash',
            'export default { name: "dupfield", schema(api) { api.builder.objectFields(api.User, (t) => ({ notes: t.string({ resolve: () => "" }) })); } };',
          ),
        ],
        /^error: module "dupfield" \(.*fieldclash\.js\): field User\.notes clashes with another definition/,
      ],
    ];
    for (const [modules, message] of cases) {
      const run = await cli(['migrate', '--config', fromPath, ...modules.flatMap((m) => ['--module', m])]);
      expect(run.code, run.err).toBe(1);
      expect(run.err.trim().split('\n'), run.err).toHaveLength(1);
      expect(run.err.trim()).toMatch(message);
      // Refused before anything ran: not even the gateway's own migrations.
      expect(run.out).toBe('');
    }
    const served = await cli(['serve', '--config', fromPath, '--port', '0', '--module', join(dir, 'noname.js')], { LOG_LEVEL: 'silent' });
    expect(served.code).toBe(1);
    expect(served.err.trim()).toMatch(/^error: module .*noname\.js: no name/);
    expect(served.out).not.toContain('GraphiQL');
    // SHARDGATE_MODULES is read the same way.
    const viaEnv = await cli(['migrate', '--config', fromPath], { SHARDGATE_MODULES: `${NOTES},${join(dir, 'notes2.js')}` });
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.err.trim()).toMatch(/^error: module "notes" \(.*notes2\.js\): the name is taken/);

    // A migration that fails: the module's earlier migration is not left applied either (one transaction per shard).
    const failing = await broken(
      'failing',
      `export default { name: "failing", migrations: [
         { id: "001_ok", sql: "CREATE TABLE failing_ok (user_id varchar(255))" },
         { id: "002_bad", sql: "CREATE TABLE failing_bad (user_id no_such_type)" } ] };`,
    );
    const run = await cli(['migrate', '--config', fromPath, '--module', failing]);
    expect(run.code).toBe(1);
    expect(run.err.trim()).toMatch(
      /^error: module "failing" \(.*failing\.js\): migration "002_bad" failed on shard \d: .*no_such_type.*\(SQLSTATE 42704\)$/,
    );
    for (const shard of cluster.topology.shards.slice(0, 2)) {
      const rows = await onNode(shard.primary.port, (c) =>
        c.query("SELECT to_regclass('failing_ok') IS NULL AS gone, to_regclass('shardgate_module_migrations') AS t"),
      );
      expect(rows.rows[0].gone).toBe(true);
    }

    // A module not migrated yet is not served: its tables would be missing.
    const early = await cli(['serve', '--config', fromPath, '--port', '0', '--module', NOTES], { LOG_LEVEL: 'silent' });
    expect(early.code).toBe(1);
    expect(early.err.trim()).toMatch(
      /^error: module "notes" \(examples\/modules\/notes\/index\.js\): migration\(s\) 001_notes not applied on shard \d; run shardgate migrate --module examples\/modules\/notes\/index\.js$/,
    );
    expect(early.out).not.toContain('GraphiQL');
  }, 300_000);
});

describe('the notes module, end to end', { timeout: 240_000 }, () => {
  it('migrate --module applies its migration once per primary and records it', async () => {
    const first = await cli(['migrate', '--config', fromPath, '--module', NOTES, '--module', PINS]);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/shard 0: modules applied notes\/001_notes, pins\/001_pins/);
    expect(first.out).toMatch(/shard 1: modules applied notes\/001_notes, pins\/001_pins/);
    const again = await cli(['migrate', '--config', fromPath], { SHARDGATE_MODULES: `${NOTES},${PINS}` });
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain('shard 0: modules up to date');
    for (const shard of cluster.topology.shards.slice(0, 2)) {
      const { rows } = await onNode(shard.primary.port, (c) =>
        c.query('SELECT module, id FROM shardgate_module_migrations ORDER BY module, id'),
      );
      expect(rows).toEqual([
        { module: 'notes', id: '001_notes' },
        { module: 'pins', id: '001_pins' },
      ]);
    }
    const seeded = await cli(['seed', '--config', fromPath, '--count', String(SEEDED)]);
    expect(seeded.code, seeded.err).toBe(0);
  });

  it('serve --module: Note in the schema, createNote with a token, validation, USER_NOT_FOUND', async () => {
    ({ child: serve, url } = await startServe(['--config', fromPath, '--module', NOTES, '--module', PINS], {
      SHARDGATE_MAX_STATEMENTS: '12',
      SHARDGATE_HEALTH_INTERVAL_MS: '300',
      // A hedged read (a slow replica's statement sent again elsewhere) would be a second execution: counts must be exact.
      SHARDGATE_HEDGE_BUDGET_PERCENT: '0',
    }));
    const schema = await gql('{ __type(name: "Note") { fields { name } } user: __type(name: "User") { fields { name } } }');
    expect(schema.body.data.__type.fields.map((f: { name: string }) => f.name)).toEqual(['body', 'createdAt', 'id', 'userId']);
    expect(schema.body.data.user.fields.map((f: { name: string }) => f.name)).toEqual(expect.arrayContaining(['notes', 'pinCount']));

    // Three notes for every user; each write hands back a token, and a read with it sees the write.
    for (const userId of userIds) {
      for (let k = 1; k <= 3; k++) {
        const created = await gql('mutation($u: ID!, $b: String!) { createNote(userId: $u, body: $b) { id userId body createdAt } }', {
          u: userId,
          b: `note ${k} of ${userId}`,
        });
        expect(created.body.errors).toBeUndefined();
        expect(created.body.data.createNote).toMatchObject({ userId, body: `note ${k} of ${userId}` });
        expect(created.body.data.createNote.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(created.token).toBeTruthy();
        const read = await gql(
          'query($u: ID!) { user(userId: $u) { notes(first: 1) { id body } } }',
          { u: userId },
          { [TOKEN]: created.token! },
        );
        expect(read.body.data.user.notes).toEqual([{ id: created.body.data.createNote.id, body: `note ${k} of ${userId}` }]);
      }
    }

    const missing = await gql('mutation { createNote(userId: "nobody-here", body: "hi") { id } }');
    expect(missing.body.errors[0].extensions.code).toBe('USER_NOT_FOUND');
    for (const body of ['', 'x'.repeat(2001)]) {
      const bad = await gql('mutation($b: String!) { createNote(userId: "user-1", body: $b) { id } }', { b: body });
      expect(bad.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    }
    // 2000 characters (astral ones count as one each) are fine.
    const long = await gql('mutation($b: String!) { createNote(userId: "user-2", body: $b) { body } }', { b: '😀'.repeat(2000) });
    expect(long.body.errors).toBeUndefined();
    const badFirst = await gql('{ user(userId: "user-1") { notes(first: 101) { id } } }');
    expect(badFirst.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it('User.notes is one statement per shard touched per request, however many users and however reached', async () => {
    await eventually(
      async () => (await gql('{ user(userId: "user-40") { notes { id } } }')).body.data?.user?.notes.length === 3,
      30_000,
      'notes on replicas',
    );
    const ask = async (ids: string[]) => {
      await resetStatistics();
      const result = await gql(
        `query($ids: [ID!]!) {
           usersByIds(userIds: $ids) { userId notes(first: 2) { body } }
           users(first: 10) { edges { node { notes(first: 2) { id } } } }
         }`,
        { ids },
      );
      expect(result.body.errors).toBeUndefined();
      return { result, executions: await notesExecutions() };
    };
    // 6 parents and 200 (the most the 40 with notes, and 160 without): the same statements.
    const few = await ask(userIds.slice(0, 6));
    const many = await ask(seededIds);
    expect(many.result.body.data.usersByIds).toHaveLength(SEEDED);
    const withNotes = new Set(userIds);
    for (const user of many.result.body.data.usersByIds.filter((u: { userId: string }) => !withNotes.has(u.userId))) {
      expect(user.notes).toEqual([]);
    }
    for (const user of many.result.body.data.usersByIds.filter((u: { userId: string }) => withNotes.has(u.userId))) {
      // Newest first (user-2 also has the long note, written last).
      const newest =
        user.userId === 'user-2' ? ['😀'.repeat(2000), 'note 3 of user-2'] : [`note 3 of ${user.userId}`, `note 2 of ${user.userId}`];
      expect(user.notes.map((n: { body: string }) => n.body)).toEqual(newest);
    }
    for (const { executions } of [few, many]) {
      expect(executions.get(0)).toBe(1);
      expect(executions.get(1)).toBe(1);
      expect(executions.get(2)).toBe(0);
    }
  });

  it('limits count the declared costs, and the default for a field that declares none', async () => {
    // SHARDGATE_MAX_STATEMENTS=12 on 2 shards: user (1) + 5 x notes (2 each) = 11 passes, 6 x notes = 13 does not.
    const notes = (n: number) => Array.from({ length: n }, (_, i) => `n${i}: notes(first: 1) { id }`).join(' ');
    const fits = await gql(`{ user(userId: "user-1") { ${notes(5)} } }`);
    expect(fits.body.errors).toBeUndefined();
    const over = await gql(`{ user(userId: "user-1") { ${notes(6)} } }`);
    expect(over.status).toBe(400);
    expect(over.body.errors[0].extensions).toMatchObject({ code: 'OPERATION_TOO_COMPLEX', limit: 'statements' });
    // pinCount declares nothing: one statement per shard, like a declared { perShard: 1 }.
    const pins = (n: number) => Array.from({ length: n }, (_, i) => `p${i}: pinCount`).join(' ');
    expect((await gql(`{ user(userId: "user-1") { ${pins(5)} } }`)).body.errors).toBeUndefined();
    expect((await gql(`{ user(userId: "user-1") { ${pins(6)} } }`)).body.errors[0].extensions.limit).toBe('statements');
  });

  it('two modules at once; a resolver that throws is masked with the request id, and the gateway lives on', async () => {
    const pinned = await gql('mutation { pin(userId: "user-3", label: "a") }');
    expect(pinned.body).toMatchObject({ data: { pin: true } });
    expect(pinned.body.errors).toBeUndefined();
    expect((await gql('mutation { pin(userId: "nobody-here", label: "a") }')).body.errors[0].extensions.code).toBe('USER_NOT_FOUND');
    await eventually(
      async () => (await gql('{ user(userId: "user-3") { pinCount } }')).body.data?.user?.pinCount === 1,
      30_000,
      'pin on a replica',
    );

    // The scatter with keyset merge, and a sum over every shard, from a module.
    for (const [userId, label] of [
      ['user-1', 'c'],
      ['user-2', 'a'],
      ['user-4', 'b'],
      ['user-5', 'a'],
    ] as const) {
      expect((await gql(`mutation { pin(userId: "${userId}", label: "${label}") }`)).body.errors).toBeUndefined();
    }
    const expected = ['a/user-2', 'a/user-3', 'a/user-5', 'b/user-4', 'c/user-1'];
    expect(new Set(userIds.slice(0, 5).map((u) => fnv1a32(u) % 2)).size).toBe(2);
    const page = async (after?: string) =>
      (await gql('query($after: String) { allPins(first: 2, after: $after) pinTotal }', { after }, {})).body.data;
    await eventually(async () => (await page())?.pinTotal === 5, 30_000, 'pins on replicas');
    const first = await page();
    expect(first.allPins).toEqual(expected.slice(0, 2));
    const second = await page(JSON.stringify(first.allPins[1].split('/')));
    expect(second.allPins).toEqual(expected.slice(2, 4));

    // A transaction on the owner's shard.
    expect((await gql('mutation { pin(userId: "user-6", label: "x") }')).body.errors).toBeUndefined();
    expect((await gql('mutation { pin(userId: "user-6", label: "y") }')).body.errors).toBeUndefined();
    expect((await gql('mutation { unpinAll(userId: "user-6") }')).body.data).toEqual({ unpinAll: 2 });
    expect((await gql('mutation { unpinAll(userId: "user-6") }')).body.data).toEqual({ unpinAll: 0 });

    const boom = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-modules-boom' },
      body: JSON.stringify({ query: '{ pinsBoom }' }),
    });
    const body = (await boom.json()) as any;
    expect(body.errors[0].extensions).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', requestId: 'req-modules-boom' });
    expect(JSON.stringify(body)).not.toContain('secret internal detail');
    expect(serve!.exitCode).toBeNull();
    expect((await gql('{ user(userId: "user-3") { userId pinCount notes(first: 1) { id } } }')).body.data.user).toMatchObject({
      userId: 'user-3',
      pinCount: 1,
    });
  });

  it('serve --workers 2 --module: every worker loads the modules and serves their fields', async () => {
    const port = await findFreePortRange(1);
    const child = spawn(
      process.execPath,
      ['bin/shardgate.js', 'serve', '--config', fromPath, '--port', String(port), '--host', '127.0.0.1', '--workers', '2'],
      {
        env: { ...process.env, LOG_LEVEL: 'info', SHARDGATE_MODULES: `${NOTES},${PINS}`, SHARDGATE_HEDGE_BUDGET_PERCENT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    const logs: { pid?: number; msg?: string; requestId?: string; workerPid?: number }[] = [];
    let partial = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => {
      const lines = (partial + String(d)).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        try {
          logs.push(JSON.parse(line));
        } catch {
          out += `${line}\n`;
        }
      }
    });
    try {
      await eventually(() => out.includes('GraphiQL:') || child.exitCode !== null, 120_000, 'the ready line');
      expect(out).toContain('shardgate is serving with 2 workers');
      const workers = logs.filter((l) => l.msg === 'worker started').map((l) => l.workerPid);
      expect(workers).toHaveLength(2);
      // A new connection per request: the primary hands connections to the workers in turn.
      const ask = (query: string, requestId: string) =>
        new Promise<any>((resolve, reject) => {
          const req = httpRequest(
            {
              host: '127.0.0.1',
              port,
              path: '/graphql',
              method: 'POST',
              agent: false,
              headers: { 'content-type': 'application/json', 'x-request-id': requestId },
            },
            (res) => {
              let text = '';
              res.on('data', (d) => (text += d));
              res.on('end', () => resolve(JSON.parse(text)));
            },
          );
          req.on('error', reject);
          req.end(JSON.stringify({ query }));
        });
      // Module fields answer in whichever worker serves: the notes read, the throwing field masked.
      for (let i = 0; i < 12; i++) {
        const body = await ask('{ user(userId: "user-1") { notes(first: 1) { body } } }', `req-notes-${i}`);
        expect(body).toEqual({ data: { user: { notes: [{ body: 'note 3 of user-1' }] } } });
      }
      for (let i = 0; i < 12; i++) {
        const body = await ask('{ pinsBoom }', `req-workers-${i}`);
        expect(body.errors[0].extensions).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', requestId: `req-workers-${i}` });
      }
      // Each masked error is logged by the worker that served it: both did.
      await eventually(() => logs.filter((l) => l.requestId?.startsWith('req-workers-')).length === 12, 30_000, 'the error logs');
      const served = new Set(logs.filter((l) => l.requestId?.startsWith('req-workers-')).map((l) => l.pid));
      expect([...served].sort()).toEqual([...workers].sort());
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.on('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    }
  });

  it('reshard 2 -> 3 --module moves every note (and pin) with its user, verified, while the gateway serves', async () => {
    const before = await gql('query($ids: [ID!]!) { usersByIds(userIds: $ids) { userId notes(first: 5) { id body } } }', { ids: userIds });
    const run = await cli(
      [
        'reshard',
        '--from',
        fromPath,
        '--to',
        toPath,
        '--module',
        NOTES,
        '--module',
        PINS,
        '--cleanup-delay-ms',
        '1500',
        '--progress-ms',
        '0',
      ],
      {},
    );
    expect(run.code, `${run.out}\n${run.err}`).toBe(0);
    expect(run.out).toMatch(/verify: new shard 2: \d+ notes, checksum \S+ = old/);
    expect(run.out).toMatch(/verify: new shard 2: \d+ pins, checksum \S+ = old|verify: new shard \d: 1 pins/);

    // Every note is on its user's shard of 3, once; none is left behind or doubled.
    let total = 0;
    for (const shard of cluster.topology.shards) {
      const { rows } = await onNode(shard.primary.port, (c) => c.query<{ user_id: string }>('SELECT user_id FROM notes'));
      for (const row of rows) expect(fnv1a32(row.user_id) % 3).toBe(shard.shardId);
      total += rows.length;
    }
    expect(total).toBe(USERS * 3 + 1);
    let pins = 0;
    for (const shard of cluster.topology.shards) {
      const { rows } = await onNode(shard.primary.port, (c) => c.query<{ user_id: string }>('SELECT user_id FROM pins'));
      for (const row of rows) expect(fnv1a32(row.user_id) % 3).toBe(shard.shardId);
      pins += rows.length;
    }
    expect(pins).toBe(5);
    const moved = (await onNode(cluster.topology.shards[2]!.primary.port, (c) => c.query('SELECT count(*)::int AS n FROM notes'))).rows[0]
      .n;
    expect(moved).toBeGreaterThan(0);

    // The gateway adopts the new layout and answers the same notes.
    await eventually(
      async () => {
        const after = await gql('query($ids: [ID!]!) { usersByIds(userIds: $ids) { userId notes(first: 5) { id body } } }', {
          ids: userIds,
        });
        return JSON.stringify(after.body.data) === JSON.stringify(before.body.data);
      },
      30_000,
      'the gateway to serve the same notes from 3 shards',
    );
    const created = await gql('mutation { createNote(userId: "user-7", body: "after the reshard") { id } }');
    expect(created.body.errors).toBeUndefined();
  });
});
