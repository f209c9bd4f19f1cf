import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error.js';

/** The only documents the gateway runs when trusted documents are on: sha256 hex of the text → the text. */
export type TrustedDocuments = ReadonlyMap<string, string>;

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * A document id as clients send it: bare sha256 hex (Apollo's
 * `extensions.persistedQuery.sha256Hash`, GraphQL Code Generator's client
 * preset) or `sha256:<hex>` (the GraphQL over HTTP persisted documents
 * appendix). Null when it is neither.
 */
export function normalizeDocumentId(id: unknown): string | null {
  if (typeof id !== 'string') return null;
  const hex = (id.startsWith('sha256:') ? id.slice(7) : id).toLowerCase();
  return SHA256_HEX.test(hex) ? hex : null;
}

/**
 * Reads a trusted-documents file in either shape that tools write:
 * - a flat JSON object `{ "<sha256>": "<document>" }` (GraphQL Code
 *   Generator's client preset `persisted-documents.json`, with
 *   `hashAlgorithm: 'sha256'`);
 * - Apollo's persisted query manifest `{ "format":
 *   "apollo-persisted-query-manifest", "version": 1, "operations": [{ "id",
 *   "body", ... }] }`.
 * Every id must be the sha256 of its document, so a file made with another
 * hash (the client preset's default is sha1) is refused at start-up rather
 * than refusing every request later.
 */
export function loadTrustedDocuments(path: string): TrustedDocuments {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: not JSON (${(err as Error).message})`);
  }
  return parseTrustedDocuments(json, path);
}

export function parseTrustedDocuments(json: unknown, where = 'trusted documents'): TrustedDocuments {
  const entries: [string, unknown, string][] = [];
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(`${where}: expected a JSON object of sha256 hash → document, or an Apollo persisted query manifest`);
  }
  const record = json as Record<string, unknown>;
  if (record.format === 'apollo-persisted-query-manifest') {
    if (record.version !== 1) throw new ConfigError(`${where}.version: expected 1, got ${JSON.stringify(record.version)}`);
    if (!Array.isArray(record.operations)) throw new ConfigError(`${where}.operations: expected an array`);
    record.operations.forEach((op: unknown, i) => {
      const o = (typeof op === 'object' && op !== null ? op : {}) as Record<string, unknown>;
      entries.push([String(o.id), o.body, `${where}.operations[${i}]`]);
    });
  } else {
    for (const [key, value] of Object.entries(record)) entries.push([key, value, `${where}[${JSON.stringify(key)}]`]);
  }
  const problems: string[] = [];
  const documents = new Map<string, string>();
  for (const [id, body, path] of entries) {
    const hex = normalizeDocumentId(id);
    if (typeof body !== 'string' || body.length === 0) problems.push(`${path}: expected the document text`);
    else if (!hex) problems.push(`${path}: ${JSON.stringify(id)} is not a sha256 hex hash`);
    else if (sha256Hex(body) !== hex) problems.push(`${path}: ${id} is not the sha256 of its document (made with another hash algorithm?)`);
    else documents.set(hex, body);
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'), problems);
  if (documents.size === 0) throw new ConfigError(`${where}: no documents (nothing could run)`);
  return documents;
}
