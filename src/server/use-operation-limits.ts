import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { GraphQLError, ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { OperationLimits } from '../config/request-safety-options.js';
import type { GatewayContext } from '../graphql/context.js';
import { bracketDepth } from '../graphql/limits/bracket-depth.js';
import { estimateStatements, type FieldCosts } from '../graphql/limits/estimate-statements.js';
import { tooComplexError } from '../graphql/limits/too-complex.js';
import type { OperationLimit } from '../repository/errors.js';
import { ErrorCode } from '../repository/error-codes.js';

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * Brackets (`{`, `[`, `(`) a document may nest before it is parsed. Far
 * beyond any real operation (the depth limit counts fields, 8 by default),
 * far below the ~2,000 nested list literals that overflow the parser's stack.
 */
export const MAX_BRACKET_NESTING = 128;

/** graphql-armor's messages start with "Syntax Error: " so that other servers answer 400; ours say what they are. */
const armorMessage = (err: GraphQLError) => err.message.replace(/^Syntax Error: /, '');

/**
 * Refuses, before anything runs, an operation that is too large: brackets
 * nested past MAX_BRACKET_NESTING (limit `depth`, found by a scan of the
 * text before parsing), tokens (the parser stops at the first one over, so a huge document costs no
 * more than the limit), depth and aliases (validation rules, by
 * graphql-armor), then the SQL statements it would send and the
 * representations it asks of `_entities`, estimated from the document, the
 * variables and the live shard count (graphql-armor knows nothing of
 * shards). Each answers HTTP 400 with OPERATION_TOO_COMPLEX, the limit and
 * its maximum. GraphiQL's introspection query is not counted for depth.
 */
export function useOperationLimits(limits: OperationLimits, fieldCosts?: FieldCosts): Plugin<GatewayContext> {
  const reporter = (limit: OperationLimit, max: number) => [
    (context: ValidationContext | null, err: GraphQLError) => context?.reportError(tooComplexError(limit, max, armorMessage(err))),
  ];
  const tokens = maxTokensPlugin({
    n: limits.maxTokens,
    onReject: [
      () => {
        throw tooComplexError('tokens', limits.maxTokens, `Token limit of ${limits.maxTokens} exceeded.`);
      },
    ],
  });
  const depth = maxDepthRule({
    n: limits.maxDepth,
    // Depth counts fields; wrapping them in fragments adds no level.
    flattenFragments: true,
    ignoreIntrospection: true,
    propagateOnRejection: false,
    onReject: reporter('depth', limits.maxDepth),
  });
  const aliases = maxAliasesRule({
    n: limits.maxAliases,
    // `__typename` aliases are counted too: they cost nothing in SQL, but a
    // million of them still cost memory and time.
    allowList: [],
    propagateOnRejection: false,
    onReject: reporter('aliases', limits.maxAliases),
  });
  const countTokens = tokens.onParse as NonNullable<Plugin['onParse']>;
  return {
    onParse(payload) {
      // Before the parser recurses: its stack overflow would be a 500 (and cached for the document).
      const source = payload.params.source;
      const text = typeof source === 'string' ? source : source.body;
      const nesting = bracketDepth(text, MAX_BRACKET_NESTING);
      if (nesting > MAX_BRACKET_NESTING) {
        throw tooComplexError(
          'depth',
          limits.maxDepth,
          `The document nests brackets more than ${MAX_BRACKET_NESTING} deep; at most ${MAX_BRACKET_NESTING} (and ${limits.maxDepth} levels of fields).`,
        );
      }
      return countTokens(payload);
    },
    onValidate({ addValidationRule }) {
      addValidationRule(depth);
      addValidationRule(aliases);
    },
    // yoga answers refused operations 200 to clients that accept only
    // application/json (GraphQL over HTTP's legacy rule); a refusal by a
    // limit is 400 whatever the client accepts.
    onExecutionResult({ result, setResult }) {
      if (!result || isAsyncIterable(result)) return;
      const refused =
        !('data' in result && result.data) && result.errors?.some((e) => e.extensions?.code === ErrorCode.OPERATION_TOO_COMPLEX);
      if (refused) setResult({ ...result, extensions: { ...result.extensions, http: { status: 400 } } });
    },
    onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue as GatewayContext;
      const shardCount = context.manager.shardCount;
      const estimate = estimateStatements(args.document, args.operationName, args.variableValues, shardCount, {
        uniqueEmails: context.users.emails.options.unique,
        ...(fieldCosts ? { fieldCosts } : {}),
      });
      if (estimate.representations > limits.maxRepresentations) {
        const max = limits.maxRepresentations;
        setResultAndStopExecution({
          errors: [
            tooComplexError(
              'representations',
              max,
              `_entities asks for ${estimate.representations} representations; at most ${max} per request.`,
            ),
          ],
        });
      } else if (estimate.statements > limits.maxStatements) {
        const max = limits.maxStatements;
        setResultAndStopExecution({
          errors: [
            tooComplexError(
              'statements',
              max,
              `The operation could send ${estimate.statements} SQL statements over ${shardCount} shards; at most ${max} per request.`,
            ),
          ],
        });
      }
    },
  };
}
