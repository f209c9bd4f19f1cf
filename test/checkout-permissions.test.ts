import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The suite must pass from any checkout, also one that a non-root process
 * cannot traverse: a clone in a `mktemp -d` directory (mode 0700) as root,
 * where PostgreSQL runs as `postgres`. This copies the working tree there
 * (node_modules linked, not copied) and runs, inside it, the tests that make
 * `postgres` read files of the project: the docker/postgres scripts.
 */

const ROOT = resolve(import.meta.dirname, '..');
const asRoot = process.getuid?.() === 0;

function postgresUid(): number | undefined {
  try {
    return Number(execFileSync('id', ['-u', 'postgres'], { stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return undefined;
  }
}
const uid = asRoot ? postgresUid() : undefined;

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // SIGTERM lets the inner vitest stop its PostgreSQL processes itself.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, output });
    });
  });
}

describe.skipIf(uid === undefined)('a checkout that postgres cannot traverse (as root, in a 0700 directory)', () => {
  let parent = '';
  let checkout = '';

  beforeAll(() => {
    parent = mkdtempSync(join(tmpdir(), 'shardgate-checkout-'));
    checkout = join(parent, 'shardgate');
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f !== '');
    for (const file of files) {
      let isFile = false;
      try {
        isFile = statSync(join(ROOT, file)).isFile();
      } catch {
        continue; // deleted in the working tree
      }
      if (!isFile) continue;
      mkdirSync(dirname(join(checkout, file)), { recursive: true });
      copyFileSync(join(ROOT, file), join(checkout, file));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
  });

  afterAll(() => {
    if (parent) rmSync(parent, { recursive: true, force: true });
  });

  it('is really out of reach for postgres', () => {
    expect(statSync(parent).mode & 0o777).toBe(0o700);
    const probe = spawnSync('sh', ['-c', 'test -r "$1"', 'probe', join(checkout, 'docker/postgres/primary-init.sh')], { uid });
    expect(probe.status).not.toBe(0);
  });

  it('runs the docker/postgres scripts tests there, and they pass', async () => {
    const vitest = join(ROOT, 'node_modules/vitest/vitest.mjs');
    const { code, output } = await run(
      process.execPath,
      [vitest, 'run', '--project', 'e2e', 'test/docker.test.ts', '-t', 'against a local primary'],
      checkout,
      240_000,
    );
    expect(code, output.slice(-4000)).toBe(0);
    const summary = /(\d+) passed, (\d+) failed/.exec(output);
    expect(summary, output.slice(-2000)).not.toBeNull();
    expect(Number(summary![1])).toBeGreaterThanOrEqual(4);
    expect(Number(summary![2])).toBe(0);
  }, 300_000);
});
