import type { GraphQLSchema } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { DEFAULT_REQUEST_OPTIONS, type RequestOptions } from '../config/request-options.js';
import { createGatewayContext, type GatewayContext } from '../graphql/context.js';
import { BadUserInputError } from '../graphql/errors.js';
import type { FieldCosts } from '../graphql/limits/estimate-statements.js';
import { DEFAULT_REQUEST_SAFETY, type RequestSafetyOptions } from '../config/request-safety-options.js';
import type { RequestScope } from '../repository/request-scope.js';
import type { Shards } from '../repository/open-shards.js';
import { corsPolicy } from './cors-policy.js';
import { alreadyLogged, toClientError, useErrorPolicy } from './error-policy.js';
import { RefusalLog } from './refusal-log.js';
import { requestIdOf } from './request-id.js';
import { requestScopeFromHeaders } from './request-scope-from-headers.js';
import { useCompiledExecution } from './use-compiled-execution.js';
import { usePartialResults } from './use-partial-results.js';
import { useConsistencyToken } from './use-consistency-token.js';
import { useCsrfPreventionWithCode } from './use-csrf-code.js';
import { useHealthEndpoints } from './use-health-endpoints.js';
import { useIntrospectionSwitch } from './use-introspection-switch.js';
import { useOperationLimits } from './use-operation-limits.js';
import { useOverloadShedding } from './use-overload-shedding.js';
import { useRequestBodyLimit } from './use-request-body-limit.js';
import { useRequestErrorCodes } from './use-request-error-codes.js';
import { useStrictUtf8 } from './use-strict-utf8.js';
import { useTrustedDocuments } from './use-trusted-documents.js';
import { gatewayModules } from '../modules/gateway-schema.js';

export interface AppDeps {
  readonly shards: Shards;
  readonly logger: Logger;
  /** Extra yoga plugins: metrics, tracing. */
  readonly plugins?: readonly Plugin[];
  /** The query GraphiQL opens with. */
  readonly graphiqlDefaultQuery?: string;
  /** Deadlines and consistency waits. @default DEFAULT_REQUEST_OPTIONS */
  readonly request?: RequestOptions;
  /** Limits, CORS, introspection, trusted documents. @default DEFAULT_REQUEST_SAFETY */
  readonly safety?: RequestSafetyOptions;
  /** The schema with the loaded modules' types (see src/modules). @default gatewayModules(): the built-in modules' */
  readonly schema?: GraphQLSchema;
  /** What the modules' fields cost, for the statement limit (given with `schema`). @default the built-in modules' */
  readonly fieldCosts?: FieldCosts;
}

export type App = YogaServerInstance<Record<string, unknown>, GatewayContext> & {
  /** Flip /readyz to 503 before shutting down, so load balancers stop sending. */
  markShuttingDown(): void;
};

export const DEFAULT_GRAPHIQL_QUERY = `# shardgate: users sharded by fnv1a32(userId) % shards
query Overview {
  user(userId: "user-42") { userId name email createdAt shardId }
  users(first: 5) {
    edges { cursor node { userId name shardId createdAt } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
  shards { id userCount nodes { address role healthy replicationLagSeconds } }
}
`;

/**
 * The gateway as a fetch handler, without listening: tests call
 * `app.fetch(...)`, `main` hands it to an HTTP server.
 */
export function createApp(deps: AppDeps): App {
  const { shards, logger } = deps;
  const requestOptions = deps.request ?? DEFAULT_REQUEST_OPTIONS;
  const safety = deps.safety ?? DEFAULT_REQUEST_SAFETY;
  let shuttingDown = false;
  const refusals = new RefusalLog(logger);
  // The scope of each request in flight, for the response header (the response hook does not see the context).
  const scopes = new WeakMap<Request, RequestScope>();
  const modular = deps.schema ? { schema: deps.schema, fieldCosts: deps.fieldCosts } : gatewayModules();
  const yoga = createYoga<Record<string, unknown>, GatewayContext>({
    schema: modular.schema,
    graphqlEndpoint: '/graphql',
    // A self-contained GraphiQL page: no CDN, works offline. Its bundle is
    // ~9 MB of JavaScript (~32 MB of heap), so it loads on the first browser
    // visit rather than in every gateway that never serves one.
    renderGraphiQL: async (options) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    graphiql: { title: 'shardgate', defaultQuery: deps.graphiqlDefaultQuery ?? DEFAULT_GRAPHIQL_QUERY },
    // The default 404 page links to a remote favicon.
    landingPage: false,
    logging: {
      debug: (...args) => logger.debug(args.length === 1 ? args[0] : args),
      info: (...args) => logger.info(args.length === 1 ? args[0] : args),
      warn: (...args) => logger.warn(args.length === 1 ? args[0] : args),
      // toClientError has logged what it masks, with the request id; yoga
      // would log it again. A bad header fails the context: yoga logs that
      // as an error, but it is the client's mistake (RefusalLog).
      error: (...args) => {
        if (args.length === 1 && alreadyLogged(args[0])) return;
        if (args.length === 1 && args[0] instanceof BadUserInputError) return refusals.note(args[0]);
        logger.error(args.length === 1 ? args[0] : args);
      },
    },
    maskedErrors: {
      // Safety net for errors raised outside execution; useErrorPolicy has already handled execution errors.
      maskError: (error) => toClientError(error, null, logger),
    },
    // Request safety: bodies over the limit answer 413 before they are read
    // whole (useRequestBodyLimit, in place of yoga's limiter, which streams
    // every body through a counter); no multipart (there are no uploads, and
    // browsers send it cross-site without a preflight); CORS only for listed origins.
    maxRequestBodySize: false,
    multipart: false,
    cors: corsPolicy(safety.corsOrigins),
    context: ({ request }) => {
      // The deadline starts here, before any resolver; a bad header fails the operation before anything runs.
      const scope = requestScopeFromHeaders(
        request.headers,
        requestIdOf(request),
        { request: requestOptions, maxStatements: safety.limits.maxStatements },
        shards.manager.shardCount,
        Date.now(),
      );
      scopes.set(request, scope);
      return createGatewayContext({ scope, users: shards.users, manager: shards.manager, door: shards.door });
    },
    plugins: [
      useHealthEndpoints(shards.manager, () => shuttingDown),
      useStrictUtf8(),
      useRequestBodyLimit(safety.limits.maxBodyBytes),
      // A request a browser could send cross-site without a preflight (a
      // form, text/plain, a plain GET) runs nothing: 403 CSRF_PREVENTED.
      // GraphiQL and routers send application/json.
      useCsrfPreventionWithCode(['x-graphql-yoga-csrf', 'apollo-require-preflight']),
      ...(safety.trustedDocuments ? [useTrustedDocuments(safety.trustedDocuments)] : []),
      useOperationLimits(safety.limits, modular.fieldCosts),
      useIntrospectionSwitch(safety.introspection),
      useRequestErrorCodes({ suggestions: safety.introspection }),
      useConsistencyToken((request) => scopes.get(request)?.consistency?.outgoing() ?? null),
      usePartialResults(),
      ...(deps.plugins ?? []),
      useOverloadShedding(logger),
      useErrorPolicy(logger),
      useCompiledExecution({ onFallback: (operationName, reason) => logger.info({ operationName, reason }, 'operation runs uncompiled') }),
    ],
  });
  return Object.assign(yoga, {
    markShuttingDown: () => {
      shuttingDown = true;
    },
  });
}
