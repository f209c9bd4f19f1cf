import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * yoga's CSRF prevention (a request a browser could send cross-site without
 * a preflight runs nothing: 403), with `extensions.code` = CSRF_PREVENTED
 * on the error, like every other refusal.
 */
export function useCsrfPreventionWithCode(requestHeaders: string[]): Plugin {
  const csrf = useCSRFPrevention({ requestHeaders });
  const check = csrf.onRequestParse!;
  return {
    onRequestParse(payload) {
      try {
        return check(payload);
      } catch (err) {
        if (!(err instanceof GraphQLError)) throw err;
        throw new GraphQLError(
          'Refused as a possible cross-site request forgery: send content-type application/json, or the header x-graphql-yoga-csrf or apollo-require-preflight.',
          { extensions: { ...err.extensions, code: 'CSRF_PREVENTED' } },
        );
      }
    },
  };
}
