import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { useSharedDatabase } from './support/use-shared-database.js';

// The real bin, as `npx shardgate` runs it (dist/ is built by `npm install` and by `npm test`'s pretest).
function shardgate(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/shardgate.js', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('shardgate CLI', () => {
  it('prints help for itself and every command', () => {
    const main = shardgate('--help');
    expect(main.code).toBe(0);
    expect(main.out).toContain('Usage: shardgate <command>');
    for (const command of ['cluster', 'migrate', 'seed', 'serve', 'dev']) {
      const r = shardgate(command, '--help');
      expect(r.code, command).toBe(0);
      expect(r.out, command).toMatch(/Usage: shardgate/);
    }
    // Six processes that each load the gateway's dependencies: seconds apiece on a busy machine.
  }, 180_000);

  it('refuses unknown commands and flags with one line and exit code 2', () => {
    const unknown = shardgate('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "frobnicate"');
    const flag = shardgate('serve', '--prot', '4000');
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/^error: serve: unknown option '--prot'/);
    const port = shardgate('serve', '--config', 'x.json', '--port', 'abc');
    expect(port.code).toBe(2);
    expect(port.err.trim()).toBe('error: --port: expected an integer, got "abc"');
    noStack(flag.err + port.err);
  });

  it('refuses a broken topology file naming the field path, with no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shardgate-cli-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'topology.json');
    const node = (port: unknown) => ({ host: '127.0.0.1', port, user: 'postgres', password: '', dbname: 'shardgate' });
    writeFileSync(
      file,
      JSON.stringify({
        shards: [
          { shardId: 0, primary: node(5432), replicas: [] },
          { shardId: 1, primary: node('5433'), replicas: [] },
        ],
      }),
    );
    for (const command of ['migrate', 'serve', 'seed']) {
      const r = shardgate(command, '--config', file);
      expect(r.code, command).toBe(2);
      expect(r.err).toContain(`${file}: shards[1].primary.port: expected an integer`);
      noStack(r.err);
    }
    const missing = shardgate('migrate', '--config', join(dir, 'nope.json'));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no such topology file');
    const none = spawnSync(process.execPath, ['bin/shardgate.js', 'migrate'], {
      encoding: 'utf8',
      env: { ...process.env, SHARDGATE_CONFIG: '' },
    });
    expect(none.stderr).toContain('--config F (or SHARDGATE_CONFIG) is required');
  });

  it('migrate is idempotent and seed spreads users over the shards', async () => {
    const db = await useSharedDatabase('cli');
    const first = shardgate('migrate', '--config', db.topologyPath);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(
      /^shard 0: applied version\(s\) 1, 2, 3, 4, 5\nshard 1: applied version\(s\) 1, 2, 3, 4, 5\nshard 2: applied version\(s\) 1, 2, 3, 4, 5\n/,
    );
    expect(first.out).toContain('email lookup: 0 row(s) added\n');
    const again = shardgate('migrate', '--config', db.topologyPath);
    // The shards backfill in parallel: their lines come in any order.
    expect(again.out.split('\n').sort()).toEqual(
      [
        'shard 0: up to date',
        'shard 1: up to date',
        'shard 2: up to date',
        ...[0, 1, 2].map((i) => `email lookup: shard ${i}: backfilled in an earlier run`),
        'email lookup: 0 row(s) added',
        'email claim markers: 0 older than 7 days pruned',
        '',
      ].sort(),
    );
    const seed = spawnSync(process.execPath, ['bin/shardgate.js', 'seed', '--count', '300'], {
      encoding: 'utf8',
      env: { ...process.env, SHARDGATE_CONFIG: db.topologyPath, LOG_LEVEL: 'silent' },
    });
    expect(seed.status, seed.stderr).toBe(0);
    expect(seed.stdout).toContain('seeded 300 new user(s)');
    // Demo user i gets i % 4 orders.
    expect(seed.stdout).toContain('seeded 450 new demo order(s)');
    const counts = [...seed.stdout.matchAll(/shard (\d): (\d+)/g)].map((m) => Number(m[2]));
    expect(counts).toHaveLength(3);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(300);
    expect(Math.min(...counts)).toBeGreaterThan(60);
    const again2 = shardgate('seed', '--config', db.topologyPath, '--count', '300').out;
    expect(again2).toContain('seeded 0 new user(s)');
    expect(again2).toContain('seeded 0 new demo order(s)');
  });

  it('says which shard is unavailable when a node cannot be reached', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shardgate-cli-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'topology.json');
    writeFileSync(
      file,
      JSON.stringify({ shards: [{ shardId: 0, primary: { host: '127.0.0.1', port: 1, user: 'postgres', dbname: 'x' } }] }),
    );
    const r = shardgate('migrate', '--config', file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: shard 0 is unavailable: shard0\/127\.0\.0\.1:1: ECONNREFUSED/);
    noStack(r.err);
  });
});
