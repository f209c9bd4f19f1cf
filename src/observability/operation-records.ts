import type { DocumentNode } from 'graphql';
import { operationOf, type OperationInfo } from './operation-of.js';

/**
 * One record per GraphQL operation, shared by the span and the metrics of
 * useObservability: the operation's type and name, read from the parsed
 * document once. Keyed by the operation's context object, which yoga and
 * envelop share from params to execution (each operation of a batched HTTP
 * request has its own).
 */
export class OperationRecords {
  private readonly byContext = new WeakMap<object, OperationInfo>();

  /** Records the operation when `parsed` is a document (parse errors are not); returns the record. */
  fromParse(context: object, parsed: unknown): OperationInfo | undefined {
    const known = this.byContext.get(context);
    if (known || !isDocument(parsed)) return known;
    const params = (context as { params?: { operationName?: string | null } }).params;
    const operation = operationOf(parsed, params?.operationName);
    this.byContext.set(context, operation);
    return operation;
  }

  get(context: object): OperationInfo | undefined {
    return this.byContext.get(context);
  }
}

function isDocument(value: unknown): value is DocumentNode {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Document';
}
