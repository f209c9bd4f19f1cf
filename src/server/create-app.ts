import { randomUUID } from 'node:crypto';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { createGatewayContext, type GatewayContext } from '../graphql/context.js';
import { gatewaySchema } from '../graphql/schema/index.js';
import type { Shards } from './open-shards.js';
import { toClientError, useErrorPolicy } from './error-policy.js';
import { useHealthEndpoints } from './use-health-endpoints.js';

export interface AppDeps {
  readonly shards: Shards;
  readonly logger: Logger;
  /** Extra yoga plugins: metrics, tracing. */
  readonly plugins?: readonly Plugin[];
  /** The query GraphiQL opens with. */
  readonly graphiqlDefaultQuery?: string;
}

export type App = YogaServerInstance<Record<string, unknown>, GatewayContext> & {
  /** Flip /readyz to 503 before shutting down, so load balancers stop sending. */
  markShuttingDown(): void;
};

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

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
  let shuttingDown = false;
  const yoga = createYoga<Record<string, unknown>, GatewayContext>({
    schema: gatewaySchema(),
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
      error: (...args) => logger.error(args.length === 1 ? args[0] : args),
    },
    maskedErrors: {
      // Safety net for errors raised outside execution; useErrorPolicy has already handled execution errors.
      maskError: (error) => toClientError(error, null, logger),
    },
    context: ({ request }) => {
      const incoming = request.headers.get('x-request-id');
      return createGatewayContext({
        requestId: incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID(),
        users: shards.users,
        manager: shards.manager,
      });
    },
    plugins: [useHealthEndpoints(shards.manager, () => shuttingDown), ...(deps.plugins ?? []), useErrorPolicy(logger)],
  });
  return Object.assign(yoga, {
    markShuttingDown: () => {
      shuttingDown = true;
    },
  });
}
