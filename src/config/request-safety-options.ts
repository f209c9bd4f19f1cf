import type { TrustedDocuments } from './trusted-documents.js';

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
