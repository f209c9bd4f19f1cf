import { z } from 'zod';
import { ConfigError } from './config-error.js';
import type { Env } from './load-topology.js';
import { loadTrustedDocuments, type TrustedDocuments } from './trusted-documents.js';

/** What a single GraphQL request may ask for, checked before anything runs. */
export interface OperationLimits {
  /** Nesting of fields (fragments do not add a level). @default 8 */
  readonly maxDepth: number;
  /** Aliased fields in the operation, `__typename` included. @default 30 */
  readonly maxAliases: number;
  /** Lexical tokens in the document; the parser stops at the first one over. @default 2000 */
  readonly maxTokens: number;
  /** SQL statements, estimated before execution and enforced at the door. @default 64 */
  readonly maxStatements: number;
  /** Representations in one federation `_entities` call. @default 10000 */
  readonly maxRepresentations: number;
  /** Request body bytes; more answers 413. @default 262144 (256 KiB) */
  readonly maxBodyBytes: number;
}

export interface RequestSafetyOptions {
  readonly limits: OperationLimits;
  /** Origins allowed by CORS; empty: no CORS headers at all. `*` allows any origin, never with credentials. @default [] */
  readonly corsOrigins: readonly string[];
  /** Introspection and "Did you mean" suggestions. @default true */
  readonly introspection: boolean;
  /** When set, only these documents run, sent by hash. @default null */
  readonly trustedDocuments: TrustedDocuments | null;
}

export const DEFAULT_OPERATION_LIMITS: OperationLimits = Object.freeze({
  maxDepth: 8,
  maxAliases: 30,
  maxTokens: 2000,
  maxStatements: 64,
  maxRepresentations: 10_000,
  maxBodyBytes: 256 * 1024,
});

export const DEFAULT_REQUEST_SAFETY: RequestSafetyOptions = Object.freeze({
  limits: DEFAULT_OPERATION_LIMITS,
  corsOrigins: Object.freeze([]),
  introspection: true,
  trustedDocuments: null,
});

const LIMIT_VARIABLES = {
  SHARDGATE_MAX_DEPTH: ['maxDepth', 1, 100],
  SHARDGATE_MAX_ALIASES: ['maxAliases', 0, 10_000],
  SHARDGATE_MAX_TOKENS: ['maxTokens', 10, 1_000_000],
  SHARDGATE_MAX_STATEMENTS: ['maxStatements', 1, 100_000],
  SHARDGATE_MAX_REPRESENTATIONS: ['maxRepresentations', 1, 1_000_000],
  SHARDGATE_MAX_BODY_BYTES: ['maxBodyBytes', 1024, 100 * 1024 * 1024],
} as const;

export const REQUEST_SAFETY_VARIABLES = [
  ...Object.keys(LIMIT_VARIABLES),
  'SHARDGATE_CORS_ORIGINS',
  'SHARDGATE_INTROSPECTION',
  'SHARDGATE_TRUSTED_DOCUMENTS',
];

const ORIGIN = /^https?:\/\/[^/\s]+$/;

/** Reads the request-safety settings from the environment; every problem is reported with its variable's name. */
export function loadRequestSafetyOptions(env: Env = process.env): RequestSafetyOptions {
  const problems: string[] = [];
  const limits: Record<string, number> = { ...DEFAULT_OPERATION_LIMITS };
  for (const [name, [key, min, max]] of Object.entries(LIMIT_VARIABLES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const parsed = z.coerce.number().int().min(min).max(max).safeParse(raw);
    if (!parsed.success) problems.push(`${name}: expected an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
    else limits[key] = parsed.data;
  }

  const corsOrigins = (env.SHARDGATE_CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o.length > 0);
  for (const origin of corsOrigins) {
    if (origin !== '*' && !ORIGIN.test(origin)) {
      problems.push(`SHARDGATE_CORS_ORIGINS: ${JSON.stringify(origin)} is not an origin such as https://app.example.com`);
    }
  }

  let introspection = true;
  const rawIntrospection = env.SHARDGATE_INTROSPECTION?.trim().toLowerCase();
  if (rawIntrospection === 'false' || rawIntrospection === '0') introspection = false;
  else if (rawIntrospection !== undefined && rawIntrospection !== '' && rawIntrospection !== 'true' && rawIntrospection !== '1') {
    problems.push(`SHARDGATE_INTROSPECTION: expected true or false, got ${JSON.stringify(env.SHARDGATE_INTROSPECTION)}`);
  }

  let trustedDocuments: TrustedDocuments | null = null;
  const trustedPath = env.SHARDGATE_TRUSTED_DOCUMENTS;
  if (trustedPath !== undefined && trustedPath !== '') {
    try {
      trustedDocuments = loadTrustedDocuments(trustedPath);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems.map((p) => `SHARDGATE_TRUSTED_DOCUMENTS: ${p}`));
    }
  }

  if (problems.length > 0) throw new ConfigError(problems.join('\n'), problems);
  return Object.freeze({
    limits: Object.freeze(limits) as unknown as OperationLimits,
    corsOrigins: Object.freeze(corsOrigins),
    introspection,
    trustedDocuments,
  });
}
