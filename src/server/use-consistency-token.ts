import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../graphql/context.js';
import { TOKEN_HEADER } from './request-scope-from-headers.js';

/**
 * Hands the request's consistency token back — what it carried merged with
 * what it wrote — as `extensions.consistencyToken` and as the
 * `shardgate-consistency-token` response header, whenever there is one.
 * `tokenOf` finds the token of the request a response answers.
 */
export function useConsistencyToken(tokenOf: (request: Request) => string | null): Plugin<GatewayContext> {
  return {
    onExecute({ args }) {
      const session = (args.contextValue as Partial<GatewayContext>).scope?.consistency;
      if (!session) return;
      return {
        onExecuteDone({ result, setResult }) {
          const token = session.outgoing();
          if (token === null || !('data' in result || 'errors' in result)) return;
          setResult({ ...result, extensions: { ...result.extensions, consistencyToken: token } });
        },
      };
    },
    onResponse({ request, response }) {
      const token = tokenOf(request);
      if (token !== null) response.headers.set(TOKEN_HEADER, token);
    },
  };
}
