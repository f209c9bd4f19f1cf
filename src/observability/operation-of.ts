import { getOperationAST, type DocumentNode } from 'graphql';

export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';

export interface OperationInfo {
  readonly type: OperationType;
  /** Null for an anonymous operation. */
  readonly name: string | null;
}

export const UNKNOWN_OPERATION: OperationInfo = Object.freeze({ type: 'unknown', name: null });

/** The operation a request runs: what spans are named after and metrics are labelled with. */
export function operationOf(document: DocumentNode, operationName: string | null | undefined): OperationInfo {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return UNKNOWN_OPERATION;
  return { type: operation.operation, name: operation.name?.value ?? null };
}

/** `query Overview`, or `mutation` when anonymous: the operation span's name. */
export function operationSpanName(op: OperationInfo): string {
  if (op.type === 'unknown') return 'graphql';
  return op.name ? `${op.type} ${op.name}` : op.type;
}
