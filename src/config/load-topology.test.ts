import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { loadTopologyFile, parseTopology, parseTopologyText } from './load-topology.js';

const node = (port: number, extra: Record<string, unknown> = {}) => ({
  host: '127.0.0.1',
  port,
  user: 'postgres',
  password: '',
  dbname: 'shardgate',
  ...extra,
});
const valid = () => ({
  shards: [
    { shardId: 0, primary: node(54320), replicas: [node(54321)] },
    { shardId: 1, primary: node(54322), replicas: [node(54323)] },
  ],
});

function problems(doc: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseTopology(doc, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('topology validation', () => {
  it('accepts the contract example and freezes it', () => {
    const t = parseTopology(valid(), {});
    expect(t.shards.map((s) => s.shardId)).toEqual([0, 1]);
    expect(t.shards[1]!.replicas[0]!.port).toBe(54323);
    expect(Object.isFrozen(t) && Object.isFrozen(t.shards) && Object.isFrozen(t.shards[0]!.primary)).toBe(true);
  });

  it('sorts shards by id and defaults replicas to none', () => {
    const t = parseTopology(
      {
        shards: [
          { shardId: 1, primary: node(2) },
          { shardId: 0, primary: node(1) },
        ],
      },
      {},
    );
    expect(t.shards.map((s) => [s.shardId, s.primary.port, s.replicas.length])).toEqual([
      [0, 1, 0],
      [1, 2, 0],
    ]);
  });

  it('names the path of a wrong type', () => {
    const doc = valid();
    (doc.shards[1]!.primary as Record<string, unknown>).port = '5432';
    expect(problems(doc)).toEqual(['shards[1].primary.port: expected an integer']);
    (doc.shards[1]!.primary as Record<string, unknown>).port = 5432.5;
    expect(problems(doc)).toEqual(['shards[1].primary.port: expected an integer']);
  });

  it('names a missing field', () => {
    const doc = valid();
    delete (doc.shards[0]!.replicas[0] as Record<string, unknown>).host;
    expect(problems(doc)).toEqual(['shards[0].replicas[0].host: is required']);
  });

  it('refuses unknown keys (a typo must not pass silently)', () => {
    const doc = { ...valid(), extra: 1 } as Record<string, unknown>;
    (doc.shards as Record<string, unknown>[])[0]!.replica = [];
    expect(problems(doc).sort()).toEqual(['(top level): unknown key "extra"', 'shards[0]: unknown key "replica"']);
  });

  it('requires shard ids to be exactly 0..N-1', () => {
    const dup = valid();
    dup.shards[1]!.shardId = 0;
    expect(problems(dup)).toEqual(['shards[1].shardId: duplicate shard id 0 (also at shards[0])', 'shards: missing shard id(s) 1']);
    const gap = valid();
    gap.shards[1]!.shardId = 2;
    expect(problems(gap)).toEqual(['shards[1].shardId: shard id 2 is out of range: with 2 shard(s) the ids must be exactly 0..1']);
    expect(problems({ shards: [] })).toEqual(['shards: expected at least one shard']);
    expect(problems({})).toEqual(['shards: is required']);
    expect(problems([])).toEqual(['(top level): expected a JSON object at the top level']);
  });

  it('refuses one server listed twice in a shard', () => {
    const doc = valid();
    doc.shards[0]!.replicas = [{ ...doc.shards[0]!.primary }];
    expect(() => parseTopology(doc, {})).toThrow(
      /^shards\[0\]\.replicas\[0\]\.port: .* is already listed in this shard \(at shards\[0\]\.primary\)$/,
    );
  });

  it('checks ports and empty strings', () => {
    const doc = valid();
    doc.shards[0]!.primary.port = 70000;
    doc.shards[0]!.primary.host = '';
    expect(problems(doc)).toEqual([
      'shards[0].primary.host: must not be empty (host name or address)',
      'shards[0].primary.port: expected a port between 1 and 65535',
    ]);
  });

  it('takes passwords from the environment', () => {
    const doc = valid();
    (doc.shards[0]!.primary as Record<string, unknown>).passwordEnv = 'SHARD0_PRIMARY_PASSWORD';
    const t = parseTopology(doc, { SHARD0_PRIMARY_PASSWORD: 's3cret', SHARDGATE_DB_PASSWORD: 'everyone' });
    expect(t.shards[0]!.primary.password).toBe('s3cret');
    expect(t.shards[0]!.replicas[0]!.password).toBe('everyone');
    expect(problems(doc, {})).toEqual(['shards[0].primary.passwordEnv: environment variable SHARD0_PRIMARY_PASSWORD is not set']);
    const inFile = valid();
    inFile.shards[1]!.primary.password = 'from-file';
    expect(parseTopology(inFile, { SHARDGATE_DB_PASSWORD: 'x' }).shards[1]!.primary.password).toBe('from-file');
  });
});

describe('topology files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shardgate-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads JSON and YAML', () => {
    const json = join(dir, 'topology.json');
    writeFileSync(json, JSON.stringify(valid()));
    expect(loadTopologyFile(json, {}).shards).toHaveLength(2);
    const yaml = join(dir, 'topology.yaml');
    writeFileSync(yaml, 'shards:\n  - shardId: 0\n    primary: { host: db0, port: 5432, user: app, dbname: shardgate }\n');
    expect(loadTopologyFile(yaml, {}).shards[0]!.primary).toEqual({
      host: 'db0',
      port: 5432,
      user: 'app',
      password: '',
      dbname: 'shardgate',
    });
  });

  it('prefixes problems with the file name, and reports syntax errors and missing files in one line', () => {
    expect(() => parseTopologyText('{"shards": [', 'bad.json', {})).toThrow(/^bad\.json: not valid JSON: /);
    expect(() => parseTopologyText('{"shards": []}', 't.json', {})).toThrow('t.json: shards: expected at least one shard');
    expect(() => loadTopologyFile(join(dir, 'nope.json'), {})).toThrow(/nope\.json: no such topology file$/);
  });
});
