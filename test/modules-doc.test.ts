import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../testkit/eventually.js';
import { findFreePortRange } from '../testkit/free-port-range.js';
import { useSharedDatabase } from './support/use-shared-database.js';

/*
 * docs/modules.md, followed as a reader would: the module file is assembled
 * from the page's own `bookmarks.js` blocks, type-checked against the
 * published module types, migrated and served with --module, and the
 * page's GraphQL operations run in order against it.
 */

const ROOT = resolve(import.meta.dirname, '..');

interface Block {
  lang: string;
  info: string;
  code: string;
}

function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  for (const m of markdown.matchAll(/^```(\S*)([^\n]*)\n([\s\S]*?)^```$/gm)) {
    out.push({ lang: m[1]!, info: m[2]!.trim(), code: m[3]! });
  }
  return out;
}

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not finish in 180 s`));
    }, 180_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, out, err });
    });
  });
}

// Inside the package, so that `import('shardgate/module')` resolves as it does for a user's module.
const workDir = join(ROOT, 'test-artifacts', `modules-doc-${randomBytes(4).toString('hex')}`);
let serve: ChildProcess | undefined;
let tagsServe: ChildProcess | undefined;

afterAll(async () => {
  if (serve && serve.exitCode === null) serve.kill('SIGKILL');
  if (tagsServe && tagsServe.exitCode === null) tagsServe.kill('SIGKILL');
  await rm(workDir, { recursive: true, force: true });
});

/** `shardgate serve --module` as a user runs it, once it has said it serves. */
async function startServe(topologyPath: string, modulePath: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['bin/shardgate.js', 'serve', '--config', topologyPath, '--port', String(port), '--host', '127.0.0.1', '--module', modulePath],
    { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  try {
    await eventually(
      () => {
        if (child.exitCode !== null) throw new Error(`serve exited: ${out}`);
        return out.includes('GraphiQL:');
      },
      30_000,
      'serve to start',
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return child;
}

describe('docs/modules.md, followed step by step', () => {
  it('its blocks make a module that type-checks, migrates, serves and answers its operations', { timeout: 300_000 }, async () => {
    const page = await readFile(join(ROOT, 'docs/modules.md'), 'utf8');
    const all = blocks(page);
    const source = all.filter((b) => b.lang === 'js' && b.info === 'bookmarks.js').map((b) => b.code);
    expect(source.length).toBeGreaterThanOrEqual(5);
    await mkdir(workDir, { recursive: true });
    const modulePath = join(workDir, 'bookmarks.js');
    await writeFile(modulePath, source.join('\n'));

    // The page's commands are the ones run below.
    expect(page).toContain('npx shardgate migrate --config topology.json --module bookmarks.js');
    expect(page).toContain('npx shardgate serve --config topology.json --module bookmarks.js');

    // Checked as JavaScript against the published types (strict).
    await writeFile(
      join(workDir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023'],
          types: ['node'],
          strict: true,
          allowJs: true,
          checkJs: true,
          noEmit: true,
          skipLibCheck: true,
        },
        files: ['bookmarks.js'],
      }),
    );
    const checked = await run([join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(workDir, 'tsconfig.json')]);
    expect(checked.out + checked.err, 'tsc').toBe('');
    expect(checked.code).toBe(0);

    const db = await useSharedDatabase('modules_doc');
    const migrated = await run(['bin/shardgate.js', 'migrate', '--config', db.topologyPath, '--module', modulePath]);
    expect(migrated.code, migrated.err).toBe(0);
    expect(migrated.out).toContain('modules applied bookmarks/001_bookmarks');

    const printed = await run(['scripts/print-schema.mjs', '--module', modulePath]);
    expect(printed.code, printed.err).toBe(0);
    expect(printed.out).toMatch(/type Bookmark \{/);
    expect(printed.out).toMatch(/bookmarks\(first: Int = 20\): \[Bookmark!\]!/);
    expect(printed.out).toMatch(/addBookmark\(userId: ID!, url: String!, title: String!\): Bookmark!/);

    const port = await findFreePortRange(1);
    serve = await startServe(db.topologyPath, modulePath, port);

    const operations = all.filter((b) => b.lang === 'graphql');
    expect(operations.length).toBeGreaterThanOrEqual(4);
    const answers: unknown[] = [];
    for (const op of operations) {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: op.code }),
      });
      const body = (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
      const expected = /expect-error=(\w+)/.exec(op.info)?.[1];
      if (expected) expect(body.errors?.[0]?.extensions?.code, op.code).toBe(expected);
      else expect(body.errors, op.code).toBeUndefined();
      answers.push(body.data);
    }
    // The query after the write sees it.
    expect(JSON.stringify(answers)).toContain('"bookmarks":[{"url":"https://example.com/engines","title":"Engines"}]');
  });

  it('the smallest module (examples/modules/tags): one file, two commands, a batched field and a write', { timeout: 300_000 }, async () => {
    const modulePath = 'examples/modules/tags/index.js';
    const db = await useSharedDatabase('modules_tags');
    const migrated = await run(['bin/shardgate.js', 'migrate', '--config', db.topologyPath, '--module', modulePath]);
    expect(migrated.code, migrated.err).toBe(0);
    expect(migrated.out).toContain('modules applied tags/001_tags');
    const port = await findFreePortRange(1);
    const child = await startServe(db.topologyPath, modulePath, port);
    tagsServe = child;
    const gql = async (query: string, token?: string) => {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { 'shardgate-consistency-token': token } : {}) },
        body: JSON.stringify({ query }),
      });
      return (await res.json()) as { data?: any; errors?: { extensions?: { code?: string; field?: string } }[]; extensions?: any };
    };
    const ann = `ann-${randomBytes(3).toString('hex')}`;
    const bob = `bob-${randomBytes(3).toString('hex')}`;
    const created = await gql(
      `mutation { a: createUser(input: {userId: "${ann}", name: "Ann", email: "${ann}@x.io"}) { userId } b: createUser(input: {userId: "${bob}", name: "Bob", email: "${bob}@x.io"}) { userId } }`,
    );
    expect(created.errors).toBeUndefined();
    const tagged = await gql(
      `mutation { x: addTag(userId: "${ann}", tag: "beta") y: addTag(userId: "${ann}", tag: "admin") z: addTag(userId: "${bob}", tag: "beta") again: addTag(userId: "${bob}", tag: "beta") }`,
    );
    expect(tagged).toMatchObject({ data: { x: true, y: true, z: true, again: false } });
    // Read with the writes' token: what was written is there, on whichever node answers.
    const read = await gql(`{ usersByIds(userIds: ["${ann}", "${bob}", "nobody"]) { userId tags } }`, tagged.extensions.consistencyToken);
    expect(read.errors).toBeUndefined();
    expect(read.data.usersByIds).toEqual([{ userId: ann, tags: ['admin', 'beta'] }, { userId: bob, tags: ['beta'] }, null]);
    expect((await gql('mutation { addTag(userId: "nobody-at-all", tag: "x") }')).errors?.[0]?.extensions?.code).toBe('USER_NOT_FOUND');
    expect((await gql(`mutation { addTag(userId: "${ann}", tag: "") }`)).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'tag',
    });
    child.kill('SIGTERM');
  });

  it('the example modules (examples/modules) type-check as JavaScript against the published types', { timeout: 120_000 }, async () => {
    const checked = await run([join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'examples/modules/tsconfig.json')]);
    expect(checked.out + checked.err, 'tsc').toBe('');
    expect(checked.code).toBe(0);
  });
});
