import { GraphQLError, type ASTNode } from 'graphql';

/**
 * A GraphQLError made from another one: the same message, location, path and
 * extensions unless told otherwise. The one place an error is rebuilt (to
 * give it a code, hide suggestions, mask it, or point it at other nodes), so
 * that no rebuild forgets where the error was.
 */
export function rebuildGraphQLError(
  from: GraphQLError,
  changes: {
    readonly message?: string;
    /** Where the error is, instead of `from`'s nodes, source and positions. */
    readonly nodes?: readonly ASTNode[];
    readonly extensions?: Record<string, unknown>;
    /** Keep `from.originalError` (for logs and error policies); dropped by default. */
    readonly keepOriginalError?: boolean;
  } = {},
): GraphQLError {
  const at =
    changes.nodes !== undefined
      ? changes.nodes.length > 0
        ? { nodes: changes.nodes }
        : {}
      : {
          ...(from.nodes ? { nodes: from.nodes } : {}),
          ...(from.source ? { source: from.source } : {}),
          ...(from.positions ? { positions: from.positions } : {}),
        };
  return new GraphQLError(changes.message ?? from.message, {
    ...at,
    ...(from.path ? { path: from.path } : {}),
    ...(changes.keepOriginalError && from.originalError ? { originalError: from.originalError } : {}),
    extensions: changes.extensions ?? from.extensions,
  });
}
