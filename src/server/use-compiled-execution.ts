import {
  GraphQLError,
  visit,
  type ASTNode,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import { rebuildGraphQLError } from '../graphql/rebuild-graphql-error.js';

/** Why an operation runs on graphql-js instead of compiled code. */
export type CompileFallback = (operationName: string | null, reason: string) => void;

export interface UseCompiledExecutionOptions {
  /** Told once per document that graphql-jit could not compile. @default nothing */
  readonly onFallback?: CompileFallback;
}

/** Not compiled: the operation runs on graphql-js's executor, as it would without this plugin. */
const INTERPRET = null;

/**
 * Runs each operation as code compiled by graphql-jit instead of walking the
 * document with graphql-js's executor on every request: the compiled
 * function resolves the same fields with the same resolvers, but without
 * graphql-js's per-field bookkeeping. An operation graphql-jit cannot
 * compile runs on graphql-js, unchanged.
 *
 * Only the executor is replaced: every other plugin's `onExecute` and
 * `onExecuteDone` still runs around it (tracing, metrics, the error policy),
 * and a resolver's error still arrives as a GraphQLError whose
 * `originalError` is the thrown error.
 *
 * Compiled operations are kept per schema and document. Yoga's parse cache
 * hands out the same DocumentNode for the same query text, and drops it when
 * it falls out of that (bounded) cache; the WeakMaps then drop its compiled
 * code with it.
 */
export function useCompiledExecution(options: UseCompiledExecutionOptions = {}): Plugin {
  const bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string | null, CompiledQuery | typeof INTERPRET>>>();

  function compiledFor(args: ExecutionArgs): CompiledQuery | typeof INTERPRET {
    let byDocument = bySchema.get(args.schema);
    if (!byDocument) bySchema.set(args.schema, (byDocument = new WeakMap()));
    let byOperation = byDocument.get(args.document);
    if (!byOperation) byDocument.set(args.document, (byOperation = new Map()));
    const operationName = args.operationName ?? null;
    const known = byOperation.get(operationName);
    if (known !== undefined) return known;
    let compiled: CompiledQuery | typeof INTERPRET = INTERPRET;
    try {
      const result = compileQuery(args.schema, args.document, operationName ?? undefined);
      if (isCompiledQuery(result)) compiled = result;
      else options.onFallback?.(operationName, result.errors?.map((e) => e.message).join('; ') ?? 'not compiled');
    } catch (err) {
      options.onFallback?.(operationName, err instanceof Error ? err.message : String(err));
    }
    byOperation.set(operationName, compiled);
    return compiled;
  }

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const compiled = compiledFor(args);
      if (compiled === INTERPRET) return;
      const { document } = args;
      const interpret = executeFn as (execution: ExecutionArgs) => unknown;
      setExecuteFn((execution: ExecutionArgs) => {
        const finish = (result: ExecutionResult) =>
          // No data at all: the variables were refused before anything ran.
          // graphql-js refuses them again, in its own words, which clients may match.
          'data' in result ? withUpstreamErrors(result, document) : interpret(execution);
        const result = compiled.query(execution.rootValue, execution.contextValue, execution.variableValues);
        return isPromise(result) ? result.then(finish) : finish(result);
      });
    },
  };
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown }).then === 'function';
}

/**
 * graphql-jit's errors carry `locations` but not the AST nodes, and yoga and
 * the error policy rebuild errors from their nodes: the locations would be
 * lost. Rebuilt as graphql-js errors on the fields they are located at,
 * with the same message, path, extensions and originalError, they come out
 * exactly as the interpreter's do. Errors are rare: the search costs nothing
 * on a successful request.
 */
function withUpstreamErrors(result: ExecutionResult, document: DocumentNode): ExecutionResult {
  if (!result.errors?.length) return result;
  return { ...result, errors: result.errors.map((e) => upstreamError(e, document)) };
}

function upstreamError(error: GraphQLError, document: DocumentNode): GraphQLError {
  const body = document.loc?.source.body;
  const positions = body === undefined ? [] : (error.locations ?? []).map((l) => positionOf(body, l.line, l.column));
  const nodes = nodesAt(document, positions);
  return rebuildGraphQLError(error, { nodes, keepOriginalError: true });
}

/** The fields of `document` that start at `positions` (the nodes an error is located at). */
function nodesAt(document: DocumentNode, positions: readonly number[]): ASTNode[] {
  if (positions.length === 0) return [];
  const found: ASTNode[] = [];
  visit(document, {
    Field(node) {
      if (node.loc && positions.includes(node.loc.start)) found.push(node);
    },
  });
  return found;
}

/** The character offset of a 1-based line and column, as graphql-js counts lines (\r\n, \n or \r). */
export function positionOf(body: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = body.slice(offset).search(/\r\n|[\n\r]/);
    if (next < 0) break;
    offset += next + (body.startsWith('\r\n', offset + next) ? 2 : 1);
  }
  return offset + column - 1;
}
