import { Kind, type ASTNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLError } from 'graphql';
import { badUserInputExtensions } from '../graphql/errors.js';
import { rebuildGraphQLError } from '../graphql/rebuild-graphql-error.js';
import { ErrorCode } from '../repository/error-codes.js';

// graphql-js suggests names in errors: fields, arguments, types, enum values.
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

export function withoutSuggestions(message: string): string {
  return message.replace(SUGGESTION, '');
}

function rebuilt(error: GraphQLError, message: string, extensions: Record<string, unknown>): GraphQLError {
  return rebuildGraphQLError(error, { message, extensions });
}

/**
 * Gives every error of a refused request a code, and hides suggestions when
 * introspection is off (they would leak the schema one name at a time).
 * - Variables that do not coerce to their declared type (graphql-js reports
 *   them before execution, pointing at the variable's definition):
 *   BAD_USER_INPUT with `extensions.field` = `$name`.
 * - Other request errors found before execution (an unknown operation
 *   name, several operations and none named): GRAPHQL_VALIDATION_FAILED.
 * Parse and validation errors already carry GRAPHQL_PARSE_FAILED and
 * GRAPHQL_VALIDATION_FAILED from yoga.
 */
export function useRequestErrorCodes(options: { suggestions: boolean }): Plugin {
  const message = (m: string) => (options.suggestions ? m : withoutSuggestions(m));
  return {
    onValidate() {
      if (options.suggestions) return undefined;
      return ({ valid, result, setResult }) => {
        if (valid) return;
        setResult(result.map((e) => rebuilt(e, message(e.message), { ...e.extensions })));
      };
    },
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result) || !result.errors?.length || result.data !== undefined) return;
          setResult({
            ...result,
            errors: result.errors.map((e) => {
              if (e.extensions?.code) return e;
              const node = e.nodes?.[0] as ASTNode | undefined;
              if (node?.kind === Kind.VARIABLE_DEFINITION) {
                return rebuilt(e, message(e.message), { ...e.extensions, ...badUserInputExtensions(`$${node.variable.name.value}`) });
              }
              return rebuilt(e, message(e.message), { ...e.extensions, code: ErrorCode.GRAPHQL_VALIDATION_FAILED });
            }),
          });
        },
      };
    },
  };
}
