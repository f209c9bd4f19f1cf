import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { loadGatewayOptions } from './gateway-options.js';
import type { Env } from './load-topology.js';
import { normalizeDocumentId, parseTrustedDocuments, sha256Hex } from './trusted-documents.js';

const loadRequestSafetyOptions = (env: Env) => loadGatewayOptions(env).safety;

describe('request safety options', () => {
  it('has the documented defaults', () => {
    const o = loadRequestSafetyOptions({});
    expect(o.limits).toEqual({
      maxDepth: 8,
      maxAliases: 30,
      maxTokens: 2000,
      maxStatements: 64,
      maxRepresentations: 10_000,
      maxBodyBytes: 262_144,
    });
    expect(o).toMatchObject({ corsOrigins: [], introspection: true, trustedDocuments: null });
  });

  it('reads every variable and names the bad ones', () => {
    const o = loadRequestSafetyOptions({
      SHARDGATE_MAX_DEPTH: '5',
      SHARDGATE_MAX_ALIASES: '3',
      SHARDGATE_MAX_TOKENS: '500',
      SHARDGATE_MAX_STATEMENTS: '9',
      SHARDGATE_CORS_ORIGINS: 'https://a.example, http://localhost:3000',
      SHARDGATE_INTROSPECTION: 'false',
    });
    expect(o.limits).toMatchObject({ maxDepth: 5, maxAliases: 3, maxTokens: 500, maxStatements: 9 });
    expect(o.corsOrigins).toEqual(['https://a.example', 'http://localhost:3000']);
    expect(o.introspection).toBe(false);
    expect(() => loadRequestSafetyOptions({ SHARDGATE_MAX_STATEMENTS: '0' })).toThrow(/SHARDGATE_MAX_STATEMENTS: expected an integer/);
    expect(() => loadRequestSafetyOptions({ SHARDGATE_INTROSPECTION: 'maybe' })).toThrow(/SHARDGATE_INTROSPECTION/);
    expect(() => loadRequestSafetyOptions({ SHARDGATE_CORS_ORIGINS: 'evil.example/path' })).toThrow(/SHARDGATE_CORS_ORIGINS/);
    expect(() => loadRequestSafetyOptions({ SHARDGATE_TRUSTED_DOCUMENTS: '/nonexistent/file.json' })).toThrow(ConfigError);
  });

  it('loads a trusted documents file from SHARDGATE_TRUSTED_DOCUMENTS', () => {
    const doc = '{ __typename }';
    const file = join(mkdtempSync(join(tmpdir(), 'td-')), 'docs.json');
    writeFileSync(file, JSON.stringify({ [sha256Hex(doc)]: doc }));
    expect(loadRequestSafetyOptions({ SHARDGATE_TRUSTED_DOCUMENTS: file }).trustedDocuments?.get(sha256Hex(doc))).toBe(doc);
  });
});

describe('trusted documents', () => {
  const doc = 'query One { __typename }';
  const hash = sha256Hex(doc);

  it('reads both shapes: a flat hash → document object, and Apollo’s manifest', () => {
    expect([...parseTrustedDocuments({ [hash]: doc })]).toEqual([[hash, doc]]);
    expect([
      ...parseTrustedDocuments({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [{ id: hash, name: 'One', type: 'query', body: doc }],
      }),
    ]).toEqual([[hash, doc]]);
  });

  it('refuses ids that are not the sha256 of their document (e.g. the client preset’s sha1 default)', () => {
    const sha1 = 'a'.repeat(40);
    expect(() => parseTrustedDocuments({ [sha1]: doc })).toThrow(/not a sha256/);
    expect(() => parseTrustedDocuments({ [sha256Hex('other')]: doc })).toThrow(/not the sha256 of its document/);
    expect(() => parseTrustedDocuments({})).toThrow(/no documents/);
    expect(() => parseTrustedDocuments([])).toThrow(ConfigError);
  });

  it('normalizes ids: bare hex or sha256:<hex>, any case', () => {
    expect(normalizeDocumentId(hash)).toBe(hash);
    expect(normalizeDocumentId(`sha256:${hash.toUpperCase()}`)).toBe(hash);
    expect(normalizeDocumentId('sha1:abc')).toBeNull();
    expect(normalizeDocumentId(42)).toBeNull();
  });
});
